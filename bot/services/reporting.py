"""Use cases around daily reports: who reports what, for which date, and who is missing."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.report_status import DepartmentStatus, StatusLine
from bot.domain.report_subject import Subject
from bot.org.connectors import connected_source
from bot.org.schema import OrgConfig
from bot.org.sections import Form
from bot.roles import Role
from bot.services import connected_sources
from storage.models import Member, Store
from storage.repositories import catalog, members, reports

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_VN_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?$")


def store_subject(store: Store) -> Subject:
    return Subject(
        key=f"store:{store.id}",
        label=f"{store.code} · {store.name}",
        store_id=store.id,
        store_code=store.code,
    )


def member_subject(member: Member) -> Subject:
    return Subject(key=f"member:{member.id}", label=member.full_name, member_id=member.id)


def default_business_date(org: OrgConfig, now: datetime) -> date:
    """The day a report sent now covers: yesterday in the org timezone unless configured."""
    today = now.astimezone(org.tz).date()
    return today - timedelta(days=1) if org.report.covers == "previous_day" else today


def parse_report_date(text: str, today: date) -> date | None:
    """`2026-11-20`, `20/11`, `20/11/2026`, `20-11-26`; None when it is not a date."""
    text = text.strip()
    try:
        if match := _ISO_DATE.match(text):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := _VN_DATE.match(text):
            year = int(match[3]) if match[3] else today.year
            year = year + 2000 if year < 100 else year
            day = date(year, int(match[2]), int(match[1]))
            # "20/12" typed in early January means last December.
            if not match[3] and day > today:
                day = date(year - 1, day.month, day.day)
            return day
    except ValueError:
        return None
    return None


def requested_date(args: str | None, default: date) -> date | None:
    """The date a command asks for (the default without arguments); None if unreadable."""
    return parse_report_date(args, default) if args and args.strip() else default


def backfill_days(org: OrgConfig, role: Role) -> int:
    if role is Role.STAFF:
        return org.report.backfill_days_staff
    return org.report.backfill_days_manager


def date_problem(org: OrgConfig, role: Role, default: date, requested: date) -> str | None:
    """An i18n key when `requested` is outside what this role may report, else None."""
    if requested > default:
        return "report.date.future"
    if (default - requested).days > backfill_days(org, role):
        return "report.date.too_old"
    return None


def form_of(org: OrgConfig, member: Member) -> Form | None:
    if member.department is None:
        return None
    return org.form_for_department(member.department.code)


async def subjects_for(
    session: AsyncSession, org: OrgConfig, member: Member, form: Form
) -> list[Subject]:
    """Staff report their own stores; managers any store of their department."""
    if form.per == "person":
        return [member_subject(member)]
    if Role(member.role) is Role.STAFF:
        stores = await members.member_stores(session, member.id)
    else:
        stores = [
            s for s in await catalog.list_stores(session) if s.department_id == member.department_id
        ]
    return [store_subject(s) for s in stores]


async def reported_keys(
    session: AsyncSession, business_date: date, subjects: Sequence[Subject]
) -> set[str]:
    """The keys of ``subjects`` with a report for ``business_date``."""
    return await reports.reported_subjects(session, business_date, [s.key for s in subjects])


async def visible_store(session: AsyncSession, member: Member, code: str) -> Store | None:
    """A store the member may see, found by code (case-insensitive); None also when out of scope."""
    store = await catalog.find_active_store(session, code)
    if store is None:
        return None
    role = Role(member.role)
    if role in (Role.BOD, Role.ADMIN):
        return store
    if role is Role.MANAGER:
        return store if store.department_id == member.department_id else None
    own = {s.id for s in await members.member_stores(session, member.id)}
    return store if store.id in own else None


async def report_status(
    session: AsyncSession, org: OrgConfig, viewer: Member, business_date: date
) -> list[DepartmentStatus]:
    """Who has and has not reported for `business_date`, per department in the viewer's scope."""
    role = Role(viewer.role)
    result = []
    for department in await catalog.list_departments(session):
        if role is Role.MANAGER and department.id != viewer.department_id:
            continue
        form = org.form_for_department(department.code)
        if form is None:
            continue
        lines = await _department_lines(session, org, form, department.id, business_date)
        result.append(
            DepartmentStatus(
                department.code, department.name_vi, department.name_en, form.per, tuple(lines)
            )
        )
    return result


async def _department_lines(
    session: AsyncSession, org: OrgConfig, form: Form, department_id: int, business_date: date
) -> list[StatusLine]:
    people = await members.list_members(session, department_id=department_id)
    if form.per == "person":
        reporters = [m for m in people if m.role in (Role.STAFF.value, Role.MANAGER.value)]
        keys = [member_subject(m).key for m in reporters]
        done = await reports.reported_subjects(session, business_date, keys)
        came_from = await connected_sources.latest_sources(session, business_date, keys)
        return [
            StatusLine(m.full_name, key in done, source=came_from.get(key))
            for m, key in zip(reporters, keys, strict=True)
        ]
    stores = await catalog.list_stores(session, department_id=department_id)
    keys = [store_subject(s).key for s in stores]
    done = await reports.reported_subjects(session, business_date, keys)
    came_from = await connected_sources.latest_sources(session, business_date, keys)
    owners = await members.store_owner_names(session, [s.id for s in stores])
    return [
        StatusLine(
            s.code,
            key in done,
            tuple(owners.get(s.id, ())),
            source=came_from.get(key),
            connector=connector.source if (connector := connected_source(org, s.code)) else None,
        )
        for s, key in zip(stores, keys, strict=True)
    ]
