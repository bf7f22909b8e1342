"""Campaigns and the outputs tagged to them. No commits here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Campaign, DailyValue, Member, Report

Source = Literal["org", "plan", "chat"]
UpsertOutcome = Literal["added", "updated", "reactivated", "unchanged"]


@dataclass(frozen=True)
class CampaignFields:
    """What a declaration says about a campaign (org file, plan file or chat)."""

    code: str
    name: str
    start: date
    end: date
    store_codes: tuple[str, ...] = ()
    brand_codes: tuple[str, ...] = ()
    budget: float | None = None
    targets: dict[str, float] = field(default_factory=dict)
    owners: tuple[str, ...] = ()

    def values(self) -> dict[str, object]:
        return {
            "name": self.name,
            "start_date": self.start,
            "end_date": self.end,
            "store_codes": list(self.store_codes),
            "brand_codes": list(self.brand_codes),
            "budget": self.budget,
            "targets": dict(self.targets),
            "owners": list(self.owners),
        }


async def get_by_code(session: AsyncSession, code: str) -> Campaign | None:
    return await session.scalar(select(Campaign).where(Campaign.code == code))


async def get(session: AsyncSession, campaign_id: int) -> Campaign | None:
    return await session.get(Campaign, campaign_id)


async def list_active(session: AsyncSession, *, ending_from: date | None = None) -> list[Campaign]:
    """Active campaigns, soonest start first; ``ending_from``: only those not over before it."""
    query = select(Campaign).where(Campaign.active.is_(True))
    if ending_from is not None:
        query = query.where(Campaign.end_date >= ending_from)
    query = query.order_by(Campaign.start_date, Campaign.code)
    return list((await session.scalars(query)).all())


async def running_on(session: AsyncSession, day: date) -> list[Campaign]:
    query = (
        select(Campaign)
        .where(Campaign.active.is_(True), Campaign.start_date <= day, Campaign.end_date >= day)
        .order_by(Campaign.start_date, Campaign.code)
    )
    return list((await session.scalars(query)).all())


async def ended_between(session: AsyncSession, first: date, last: date) -> list[Campaign]:
    """Active campaigns whose last day is in [first, last]."""
    query = (
        select(Campaign)
        .where(Campaign.active.is_(True), Campaign.end_date >= first, Campaign.end_date <= last)
        .order_by(Campaign.end_date, Campaign.code)
    )
    return list((await session.scalars(query)).all())


async def upsert(
    session: AsyncSession,
    fields: CampaignFields,
    *,
    source: Source,
    now: datetime,
    created_by_id: int | None = None,
) -> tuple[Campaign, UpsertOutcome]:
    row = await get_by_code(session, fields.code)
    values = fields.values()
    if row is None:
        row = Campaign(
            code=fields.code,
            source=source,
            active=True,
            created_by_id=created_by_id,
            created_at=now,
            updated_at=now,
            **values,
        )
        session.add(row)
        await session.flush()
        return row, "added"
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    outcome: UpsertOutcome = "updated" if changed else "unchanged"
    if not row.active:
        row.active = True
        outcome = "reactivated"
    if outcome != "unchanged":
        row.source = source
        row.updated_at = now
    await session.flush()
    return row, outcome


async def deactivate_except(
    session: AsyncSession, source: Source, codes: Iterable[str]
) -> list[str]:
    """Deactivate the active campaigns declared by ``source`` whose code is not in ``codes``
    (those created in chat or by another source stay)."""
    keep = set(codes)
    query = select(Campaign).where(Campaign.active.is_(True), Campaign.source == source)
    rows = [row for row in (await session.scalars(query.order_by(Campaign.code))).all()]
    gone = [row for row in rows if row.code not in keep]
    for row in gone:
        row.active = False
    await session.flush()
    return [row.code for row in gone]


async def tagged_totals(
    session: AsyncSession, campaign_id: int, metrics: Sequence[str] | None = None
) -> dict[str, float]:
    """Per metric, the sum of the values of the reports tagged to the campaign (each report's
    current values once, whatever its revisions)."""
    query = (
        select(DailyValue.metric, func.sum(DailyValue.value))
        .join(Report, Report.id == DailyValue.report_id)
        .where(Report.campaign_id == campaign_id)
        .group_by(DailyValue.metric)
    )
    if metrics is not None:
        query = query.where(DailyValue.metric.in_(list(metrics)))
    return {metric: float(total) for metric, total in (await session.execute(query)).all()}


async def tagged_by_member(session: AsyncSession, campaign_id: int) -> dict[int, dict[str, float]]:
    """The tagged outputs per member and metric."""
    query = (
        select(Report.member_id, DailyValue.metric, func.sum(DailyValue.value))
        .join(Report, Report.id == DailyValue.report_id)
        .where(Report.campaign_id == campaign_id, Report.member_id.is_not(None))
        .group_by(Report.member_id, DailyValue.metric)
    )
    result: dict[int, dict[str, float]] = defaultdict(dict)
    for member_id, metric, total in (await session.execute(query)).all():
        result[int(member_id)][metric] = float(total)
    return dict(result)


async def set_report_campaign(
    session: AsyncSession, report_id: int, campaign_id: int | None
) -> None:
    report = await session.get(Report, report_id)
    if report is not None and report.campaign_id != campaign_id:
        report.campaign_id = campaign_id
        await session.flush()


async def members_by_usernames(session: AsyncSession, names: Iterable[str]) -> dict[str, Member]:
    """Active members by lower-case username (without "@")."""
    wanted = sorted({name.lower().lstrip("@") for name in names})
    if not wanted:
        return {}
    query = select(Member).where(Member.active.is_(True), func.lower(Member.username).in_(wanted))
    return {(m.username or "").lower(): m for m in (await session.scalars(query)).all()}


async def members_by_telegram_ids(session: AsyncSession, ids: Iterable[int]) -> list[Member]:
    wanted = sorted(set(ids))
    if not wanted:
        return []
    query = select(Member).where(Member.active.is_(True), Member.telegram_id.in_(wanted))
    return list((await session.scalars(query)).all())


async def report_campaign(session: AsyncSession, report_id: int) -> int | None:
    return await session.scalar(select(Report.campaign_id).where(Report.id == report_id))
