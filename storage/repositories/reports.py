"""Daily reports: current values, revisions, and the reads the form needs. No commits here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.domain.revisions import Change, RevisionEntry, diff_values
from storage.models import DailyValue, Member, Report, ValueRevision
from storage.repositories import rollups


@dataclass(frozen=True)
class StoredReport:
    id: int
    revision: int
    values: dict[str, float]
    updated_at: datetime
    updated_by_id: int | None


class StaleReportError(Exception):
    """Someone saved the report after the caller read it; `current` is what is stored now."""

    def __init__(self, current: StoredReport | None) -> None:
        super().__init__("report changed since it was read")
        self.current = current


async def load_report(
    session: AsyncSession, subject_key: str, form: str, business_date: date
) -> StoredReport | None:
    report = await session.scalar(
        select(Report).where(
            Report.subject_key == subject_key,
            Report.form == form,
            Report.business_date == business_date,
        )
    )
    if report is None:
        return None
    rows = await session.execute(
        select(DailyValue.metric, DailyValue.value).where(DailyValue.report_id == report.id)
    )
    return StoredReport(
        id=report.id,
        revision=report.revision,
        values={metric: value for metric, value in rows.all()},
        updated_at=report.updated_at,
        updated_by_id=report.updated_by_id,
    )


async def save_report(
    session: AsyncSession,
    *,
    subject_key: str,
    store_id: int | None,
    member_id: int | None,
    form: str,
    business_date: date,
    values: Mapping[str, float | None],
    expected_revision: int,
    actor_id: int | None,
    now: datetime,
    source: str,
    detail: str | None = None,
) -> tuple[int, int, list[Change]]:
    """Store `values` (None removes a value) if the report is still at `expected_revision`.

    ``source`` says where the values came from (``chat``, ``import:<format>``,
    ``api:<token name>``); ``detail`` adds what the source was (a file name and its hash).

    Returns (report id, new revision, changes). Raises StaleReportError when someone else saved
    in between, so nothing is silently overwritten.
    """
    current = await load_report(session, subject_key, form, business_date)
    if (current.revision if current else 0) != expected_revision:
        raise StaleReportError(current)
    changes = diff_values(current.values if current else {}, values)
    if current is None:
        report_id = await _insert_report(
            session, subject_key, store_id, member_id, form, business_date, actor_id, now
        )
        revision = 1
    else:
        report_id, revision = current.id, current.revision + 1
        result = await session.execute(
            update(Report)
            .where(Report.id == report_id, Report.revision == expected_revision)
            .values(revision=revision, updated_at=now, updated_by_id=actor_id)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            raise StaleReportError(await load_report(session, subject_key, form, business_date))
    await _apply_changes(session, report_id, subject_key, business_date, changes)
    if changes:  # one multi-row INSERT: an import writes thousands of these
        await session.execute(
            insert(ValueRevision),
            [
                {
                    "report_id": report_id,
                    "revision": revision,
                    "metric": c.metric,
                    "old_value": c.old,
                    "new_value": c.new,
                    "changed_by_id": actor_id,
                    "changed_at": now,
                    "source": source,
                    "source_detail": detail,
                }
                for c in changes
            ],
        )
    return report_id, revision, changes


async def _insert_report(
    session: AsyncSession,
    subject_key: str,
    store_id: int | None,
    member_id: int | None,
    form: str,
    business_date: date,
    actor_id: int | None,
    now: datetime,
) -> int:
    report = Report(
        subject_key=subject_key,
        store_id=store_id,
        member_id=member_id,
        form=form,
        business_date=business_date,
        revision=1,
        created_at=now,
        updated_at=now,
        updated_by_id=actor_id,
    )
    try:
        async with session.begin_nested():
            session.add(report)
            await session.flush()
    except IntegrityError:
        raise StaleReportError(
            await load_report(session, subject_key, form, business_date)
        ) from None
    return report.id


async def _apply_changes(
    session: AsyncSession,
    report_id: int,
    subject_key: str,
    business_date: date,
    changes: Sequence[Change],
) -> None:
    await rollups.apply_changes(session, subject_key, business_date, changes)
    added = [
        {
            "report_id": report_id,
            "subject_key": subject_key,
            "business_date": business_date,
            "metric": change.metric,
            "value": change.new,
        }
        for change in changes
        if change.old is None
    ]
    if added:
        await session.execute(insert(DailyValue), added)
    for change in changes:
        if change.old is None:
            continue
        if change.new is None:
            await session.execute(
                delete(DailyValue).where(
                    DailyValue.report_id == report_id, DailyValue.metric == change.metric
                )
            )
        else:
            await session.execute(
                update(DailyValue)
                .where(DailyValue.report_id == report_id, DailyValue.metric == change.metric)
                .values(value=change.new)
                .execution_options(synchronize_session=False)
            )


async def revision_history(
    session: AsyncSession, subject_key: str, form: str, business_date: date | None = None
) -> list[tuple[date, RevisionEntry]]:
    query = (
        select(Report.business_date, ValueRevision, Member.full_name)
        .join(ValueRevision, ValueRevision.report_id == Report.id)
        .outerjoin(Member, Member.id == ValueRevision.changed_by_id)
        .where(Report.subject_key == subject_key, Report.form == form)
        .order_by(Report.business_date.desc(), ValueRevision.revision.desc(), ValueRevision.id)
    )
    if business_date is not None:
        query = query.where(Report.business_date == business_date)
    rows = await session.execute(query)
    return [
        (
            day,
            RevisionEntry(
                revision=rev.revision,
                metric=rev.metric,
                old=rev.old_value,
                new=rev.new_value,
                changed_at=rev.changed_at,
                changed_by=name,
                source=rev.source,
                detail=rev.source_detail,
            ),
        )
        for day, rev, name in rows.all()
    ]


async def recent_values(
    session: AsyncSession, subject_key: str, metric: str, before: date, days: int = 7
) -> list[float]:
    """Values of the `days` calendar days before `before`, oldest first (missing days skipped)."""
    rows = await session.execute(
        select(DailyValue.value)
        .where(
            DailyValue.subject_key == subject_key,
            DailyValue.metric == metric,
            DailyValue.business_date < before,
            DailyValue.business_date >= before - timedelta(days=days),
        )
        .order_by(DailyValue.business_date)
    )
    return [value for (value,) in rows.all()]


async def previous_values(
    session: AsyncSession, subject_key: str, form: str, before: date
) -> tuple[date, dict[str, float]] | None:
    """The latest report of this subject before `before`: its date and values."""
    report = await session.scalar(
        select(Report)
        .where(
            Report.subject_key == subject_key,
            Report.form == form,
            Report.business_date < before,
        )
        .order_by(Report.business_date.desc())
        .limit(1)
    )
    if report is None:
        return None
    rows = await session.execute(
        select(DailyValue.metric, DailyValue.value).where(DailyValue.report_id == report.id)
    )
    return report.business_date, {m: v for m, v in rows.all()}


async def reported_subjects(
    session: AsyncSession, business_date: date, subject_keys: Sequence[str] | None = None
) -> set[str]:
    query = select(Report.subject_key).where(Report.business_date == business_date)
    if subject_keys is not None:
        query = query.where(Report.subject_key.in_(list(subject_keys)))
    return set((await session.scalars(query)).all())


async def member_name(session: AsyncSession, member_id: int | None) -> str | None:
    if member_id is None:
        return None
    return await session.scalar(select(Member.full_name).where(Member.id == member_id))


# --- where the current values came from (imports, the API, /history, the export) ---------------


@dataclass(frozen=True)
class ValueOrigin:
    """The revision that set a metric's current value: who (member name) and from where."""

    by: str | None
    source: str
    detail: str | None


async def current_reports(
    session: AsyncSession, subject_keys: Sequence[str], first: date, last: date
) -> dict[tuple[str, str, date], StoredReport]:
    """The reports of these subjects between ``first`` and ``last`` (inclusive), keyed by
    (subject key, form, business date), with their current values."""
    keys = list(set(subject_keys))
    if not keys:
        return {}
    found = (
        await session.scalars(
            select(Report).where(
                Report.subject_key.in_(keys),
                Report.business_date >= first,
                Report.business_date <= last,
            )
        )
    ).all()
    if not found:
        return {}
    values: dict[int, dict[str, float]] = {r.id: {} for r in found}
    rows = await session.execute(
        select(DailyValue.report_id, DailyValue.metric, DailyValue.value).where(
            DailyValue.report_id.in_(list(values))
        )
    )
    for report_id, metric, value in rows.all():
        values[report_id][metric] = value
    return {
        (r.subject_key, r.form, r.business_date): StoredReport(
            id=r.id,
            revision=r.revision,
            values=values[r.id],
            updated_at=r.updated_at,
            updated_by_id=r.updated_by_id,
        )
        for r in found
    }


async def value_origins(
    session: AsyncSession, report_ids: Sequence[int]
) -> dict[int, dict[str, ValueOrigin]]:
    """Per report, per metric with a value: the latest revision that set it."""
    ids = list(set(report_ids))
    if not ids:
        return {}
    rows = await session.execute(
        select(
            ValueRevision.report_id,
            ValueRevision.metric,
            ValueRevision.new_value,
            ValueRevision.source,
            ValueRevision.source_detail,
            Member.full_name,
        )
        .outerjoin(Member, Member.id == ValueRevision.changed_by_id)
        .where(ValueRevision.report_id.in_(ids))
        .order_by(ValueRevision.report_id, ValueRevision.revision, ValueRevision.id)
    )
    origins: dict[int, dict[str, ValueOrigin]] = {i: {} for i in ids}
    for report_id, metric, new, source, detail, name in rows.all():
        if new is None:
            origins[report_id].pop(metric, None)
        else:
            origins[report_id][metric] = ValueOrigin(name, source, detail)
    return origins


@dataclass(frozen=True)
class RevisionRow:
    """One changed value, for the export: the report's store or person and day, then the
    revision."""

    store_id: int | None
    person: str | None  # the member of a person-level report
    day: date
    entry: RevisionEntry


async def revisions_between(
    session: AsyncSession,
    store_ids: Sequence[int],
    member_ids: Sequence[int] | None,
    first: date,
    last: date,
) -> list[RevisionRow]:
    """Every revision of the reports of these stores and people (``member_ids`` None: every
    person) with a business date in [first, last], by date, report, revision."""
    subject: ColumnElement[bool] = Report.store_id.in_(list(set(store_ids)))
    if member_ids is None:
        subject = or_(subject, Report.member_id.is_not(None))
    elif member_ids:
        subject = or_(subject, Report.member_id.in_(list(set(member_ids))))
    person = aliased(Member)
    rows = await session.execute(
        select(
            Report.store_id, person.full_name, Report.business_date, ValueRevision, Member.full_name
        )
        .join(ValueRevision, ValueRevision.report_id == Report.id)
        .outerjoin(person, person.id == Report.member_id)
        .outerjoin(Member, Member.id == ValueRevision.changed_by_id)
        .where(subject, Report.business_date >= first, Report.business_date <= last)
        .order_by(Report.business_date, Report.id, ValueRevision.revision, ValueRevision.id)
    )
    return [
        RevisionRow(
            store_id,
            person_name,
            day,
            RevisionEntry(
                revision=rev.revision,
                metric=rev.metric,
                old=rev.old_value,
                new=rev.new_value,
                changed_at=rev.changed_at,
                changed_by=who,
                source=rev.source,
                detail=rev.source_detail,
            ),
        )
        for store_id, person_name, day, rev, who in rows.all()
    ]
