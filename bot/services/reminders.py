"""Who is missing which report for a business date: the source of reminders and escalation.

A member (staff or manager with a department whose form the org file defines) misses:
per-store forms — each store they are responsible for without a report that day; per-person
forms — their own output. Members on an approved day off on the due day are skipped, and a
business date that is not a working day of the org calendar (weekday or holiday) has nobody
missing. Everything is read with a fixed handful of queries, whatever the size of the org.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.discipline import (
    STREAK_CAP,
    Coverage,
    business_date_due_on,
    due_day,
    missing_streak,
    working_days_back,
)
from bot.domain.missing_reports import DayCheck, DepartmentCoverage, MissingReport
from bot.domain.punctuality import DueRule
from bot.domain.report_subject import Subject
from bot.domain.working_days import is_working_day
from bot.org.schema import OrgConfig
from bot.org.sections import Form
from bot.roles import REPORTERS, Role
from bot.services.reporting import date_problem, default_business_date, form_of, subjects_for
from storage.models import Department, Member
from storage.repositories import catalog, days_off
from storage.repositories import discipline as rows
from storage.repositories.discipline import Reporter, StoreRow

REPORTER_ROLES = tuple(sorted(role.value for role in REPORTERS))


@dataclass
class _Snapshot:
    """Everything one check needs, read in bulk."""

    people: list[Reporter]
    departments: dict[int, Department]
    stores: dict[int, StoreRow]
    owned: dict[int, list[int]]
    reported: set[str]
    away: set[int]
    forms: dict[int, Form] = field(default_factory=dict)


async def _snapshot(session: AsyncSession, org: OrgConfig, business_date: date) -> _Snapshot:
    departments = {d.id: d for d in await catalog.list_departments(session)}
    off_day = due_day(business_date, org.report.covers)
    away = await days_off.approved_between(session, off_day, off_day)
    snapshot = _Snapshot(
        people=await rows.reporters(session, REPORTER_ROLES),
        departments=departments,
        stores={s.id: s for s in await rows.active_stores(session)},
        owned=await rows.store_assignments(session),
        reported=await rows.reported_keys(session, business_date),
        away=set(away),
    )
    for department in departments.values():
        form = org.form_for_department(department.code)
        if form is not None:
            snapshot.forms[department.id] = form
    return snapshot


def _missing_of(person: Reporter, form: Form, snapshot: _Snapshot) -> MissingReport | None:
    if form.per == "person":
        if f"member:{person.id}" in snapshot.reported:
            return None
        return MissingReport(person, form.code, "person")
    stores = sorted(
        (
            snapshot.stores[store_id]
            for store_id in snapshot.owned.get(person.id, ())
            if store_id in snapshot.stores and f"store:{store_id}" not in snapshot.reported
        ),
        key=lambda store: store.code,
    )
    return MissingReport(person, form.code, "store", tuple(stores)) if stores else None


def _missing(snapshot: _Snapshot, *, reachable_only: bool) -> list[MissingReport]:
    found = []
    for person in snapshot.people:
        form = snapshot.forms.get(person.department_id)
        if form is None or person.id in snapshot.away:
            continue
        if reachable_only and not person.reachable:
            continue
        missing = _missing_of(person, form, snapshot)
        if missing is not None:
            found.append(missing)
    return found


async def missing_reports(
    session: AsyncSession, org: OrgConfig, business_date: date, *, reachable_only: bool = True
) -> list[MissingReport]:
    """Every member who still owes a report for ``business_date`` (reachable ones by default),
    by member id; empty on a non-working day of the org calendar."""
    if not is_working_day(org.report, business_date):
        return []
    snapshot = await _snapshot(session, org, business_date)
    return _missing(snapshot, reachable_only=reachable_only)


def _coverage(snapshot: _Snapshot) -> list[DepartmentCoverage]:
    """Reported / expected subjects per department with a form (excused ones not expected)."""
    result = []
    for department_id, form in snapshot.forms.items():
        department = snapshot.departments[department_id]
        if form.per == "person":
            keys_excused = [
                (f"member:{p.id}", p.id in snapshot.away)
                for p in snapshot.people
                if p.department_id == department_id
            ]
        else:
            owners: dict[int, list[int]] = {}
            for member_id, store_ids in snapshot.owned.items():
                for store_id in store_ids:
                    owners.setdefault(store_id, []).append(member_id)
            keys_excused = [
                (
                    f"store:{s.id}",
                    bool(owners.get(s.id)) and all(o in snapshot.away for o in owners[s.id]),
                )
                for s in snapshot.stores.values()
                if s.department_id == department_id
            ]
        reported = sum(1 for key, _ in keys_excused if key in snapshot.reported)
        expected = sum(
            1 for key, excused in keys_excused if not excused or key in snapshot.reported
        )
        if expected:
            result.append(
                DepartmentCoverage(
                    department_id,
                    department.code,
                    department.name_vi,
                    department.name_en,
                    Coverage(reported, expected),
                )
            )
    return sorted(result, key=lambda c: c.code)


async def _with_streaks(
    session: AsyncSession,
    org: OrgConfig,
    business_date: date,
    missing: Sequence[MissingReport],
    owned_keys: Mapping[int, tuple[str, ...]],
    at: datetime,
) -> list[MissingReport]:
    """``missing`` with each member's run of working days without a complete report. Only
    days whose report is due at ``at`` count: a report not due yet is not missed."""
    # Twice the cap: days off inside the window must not cut a long streak short.
    window = working_days_back(
        business_date, partial(is_working_day, org.report), count=2 * STREAK_CAP
    )
    days = DueRule.of(org).due_days(window, at)
    floor = 1 if business_date in days else 0  # the day checked, once it is due
    if not missing or len(days) < 2:
        return [replace(m, streak=floor) for m in missing]
    covers = org.report.covers
    reported = await rows.reported_keys_between(
        session, days[-1], days[0], [key for m in missing for key in owned_keys[m.member.id]]
    )
    away = await days_off.approved_between(
        session, due_day(days[-1], covers), due_day(days[0], covers)
    )
    result = []
    for item in missing:
        keys = owned_keys[item.member.id]
        missed = {day for day in days if any((key, day) not in reported for key in keys)}
        missed.add(business_date)
        excused = {business_date_due_on(d, covers) for d in away.get(item.member.id, ())}
        joined = item.member.joined_at.astimezone(org.tz).date()
        streak = missing_streak(days, missed, excused, since=business_date_due_on(joined, covers))
        result.append(replace(item, streak=max(floor, streak)))
    return result


async def check_day(
    session: AsyncSession, org: OrgConfig, business_date: date, *, at: datetime
) -> DayCheck:
    """Who is missing (reachable or not, with their streaks counted over the days due at
    ``at``) and the coverage per department."""
    if not is_working_day(org.report, business_date):
        return DayCheck(business_date, working=False)
    snapshot = await _snapshot(session, org, business_date)
    missing = _missing(snapshot, reachable_only=False)
    owned_keys = {
        m.member.id: (
            m.subject_keys
            if m.per == "person"
            else tuple(f"store:{sid}" for sid in snapshot.owned.get(m.member.id, ()))
        )
        for m in missing
    }
    with_streaks = await _with_streaks(session, org, business_date, missing, owned_keys, at)
    names = {d.id: (d.name_vi, d.name_en) for d in snapshot.departments.values()}
    return DayCheck(business_date, True, tuple(with_streaks), tuple(_coverage(snapshot)), names)


def business_date_of_run(org: OrgConfig, at: datetime) -> date:
    """The business date a scheduled run at ``at`` chases (yesterday at 10:30, by default)."""
    return default_business_date(org, at)


# --- the reminder button ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportTarget:
    form: Form
    subject: Subject
    day: date


@dataclass(frozen=True)
class Refusal:
    key: str  # i18n key
    params: Mapping[str, object] = field(default_factory=dict)


async def report_target(
    session: AsyncSession,
    org: OrgConfig,
    member: Member,
    day: date,
    store_id: int | None,
    now: datetime,
) -> ReportTarget | Refusal:
    """What a reminder button opens, checked again now: the member's form, a subject they
    report (their store, or their own output when ``store_id`` is None) and a date still
    within their backfill window."""
    form = form_of(org, member)
    if form is None:
        return Refusal("report.no_form")
    role = Role(member.role)
    problem = date_problem(org, role, default_business_date(org, now), day)
    if problem is not None:
        return Refusal("remind.refused.date", {"day": day.strftime("%d/%m/%Y")})
    key = f"store:{store_id}" if store_id is not None else f"member:{member.id}"
    subjects = await subjects_for(session, org, member, form)
    subject = next((s for s in subjects if s.key == key), None)
    if subject is None:
        return Refusal("remind.refused.not_yours")
    return ReportTarget(form, subject, day)
