"""Bulk reads behind reminders and escalation: a handful of queries for the whole org.

Every function reads all rows it needs in one statement (or in chunks of ``CHUNK`` keys), so a
run over 10,000 members costs the same few round trips as a run over ten. No commits here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Member, MemberStore, Report, Store

CHUNK = 500  # keys per IN (...) list: well below SQLite's and asyncpg's parameter limits


@dataclass(frozen=True)
class Reporter:
    """A member who reports (staff or manager) with what reminders need to reach them."""

    id: int
    telegram_id: int
    full_name: str
    role: str
    department_id: int
    locale: str
    reachable: bool
    joined_at: datetime


@dataclass(frozen=True)
class StoreRow:
    id: int
    code: str
    name: str
    department_id: int | None


async def reporters(session: AsyncSession, roles: Iterable[str]) -> list[Reporter]:
    """Active members with one of ``roles`` and a department, by id."""
    rows = await session.execute(
        select(
            Member.id,
            Member.telegram_id,
            Member.full_name,
            Member.role,
            Member.department_id,
            Member.locale,
            Member.reachable,
            Member.joined_at,
        )
        .where(
            Member.active.is_(True),
            Member.role.in_(list(roles)),
            Member.department_id.is_not(None),
        )
        .order_by(Member.id)
    )
    return [
        Reporter(mid, tid, name, role, dept, locale, reachable, joined)
        for mid, tid, name, role, dept, locale, reachable, joined in rows.all()
    ]


async def active_stores(session: AsyncSession) -> list[StoreRow]:
    rows = await session.execute(
        select(Store.id, Store.code, Store.name, Store.department_id)
        .where(Store.active.is_(True))
        .order_by(Store.code)
    )
    return [StoreRow(*row) for row in rows.all()]


async def store_assignments(session: AsyncSession) -> dict[int, list[int]]:
    """Member id → ids of the active stores they are responsible for (active members only)."""
    rows = await session.execute(
        select(MemberStore.member_id, MemberStore.store_id)
        .join(Store, Store.id == MemberStore.store_id)
        .join(Member, Member.id == MemberStore.member_id)
        .where(Store.active.is_(True), Member.active.is_(True))
    )
    owned: dict[int, list[int]] = {}
    for member_id, store_id in rows.all():
        owned.setdefault(member_id, []).append(store_id)
    return owned


async def reported_keys(session: AsyncSession, business_date: date) -> set[str]:
    """Subject keys ("store:<id>", "member:<id>") with a report for ``business_date``."""
    rows = await session.scalars(
        select(Report.subject_key).where(Report.business_date == business_date)
    )
    return set(rows.all())


async def reported_keys_between(
    session: AsyncSession, first: date, last: date, subject_keys: Sequence[str]
) -> set[tuple[str, date]]:
    """(subject key, business date) pairs reported between ``first`` and ``last`` inclusive."""
    found: set[tuple[str, date]] = set()
    keys = sorted(set(subject_keys))
    for start in range(0, len(keys), CHUNK):
        rows = await session.execute(
            select(Report.subject_key, Report.business_date).where(
                Report.business_date >= first,
                Report.business_date <= last,
                Report.subject_key.in_(keys[start : start + CHUNK]),
            )
        )
        found.update((key, day) for key, day in rows.all())
    return found


async def department_managers(session: AsyncSession) -> dict[int, list[Member]]:
    """Department id → its active, reachable managers (by id)."""
    rows = await session.scalars(
        select(Member)
        .where(
            Member.active.is_(True),
            Member.reachable.is_(True),
            Member.role == "manager",
            Member.department_id.is_not(None),
        )
        .order_by(Member.id)
    )
    managers: dict[int, list[Member]] = {}
    for manager in rows.all():
        assert manager.department_id is not None
        managers.setdefault(manager.department_id, []).append(manager)
    return managers
