"""Alert states (one row per rule, subject and period: a store, or a campaign) and who receives
alerts. No commits here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AlertState, Member, MemberStore

ACTIVE_STATES = ("open", "acknowledged", "snoozed")


async def states_of_stores(
    session: AsyncSession, store_ids: Iterable[int], periods: Iterable[str]
) -> dict[tuple[str, int, str], AlertState]:
    """(rule id, store id, period) -> state, for the given stores and periods."""
    ids, wanted = sorted(set(store_ids)), sorted(set(periods))
    if not ids or not wanted:
        return {}
    rows = await session.scalars(
        select(AlertState).where(AlertState.store_id.in_(ids), AlertState.period.in_(wanted))
    )
    return {(row.rule_id, row.store_id or 0, row.period): row for row in rows.all()}


async def states_of_subject(
    session: AsyncSession, subject_key: str, periods: Iterable[str]
) -> dict[tuple[str, str], AlertState]:
    """(rule id, period) -> state, for one subject (``campaign:<code>``) and the periods."""
    wanted = sorted(set(periods))
    if not wanted:
        return {}
    rows = await session.scalars(
        select(AlertState).where(
            AlertState.subject_key == subject_key, AlertState.period.in_(wanted)
        )
    )
    return {(row.rule_id, row.period): row for row in rows.all()}


async def active_of_rule(
    session: AsyncSession, rule_id: str, store_ids: Iterable[int]
) -> list[AlertState]:
    """Open, acknowledged or snoozed alerts of one rule for some stores."""
    ids = sorted(set(store_ids))
    if not ids:
        return []
    rows = await session.scalars(
        select(AlertState).where(
            AlertState.rule_id == rule_id,
            AlertState.store_id.in_(ids),
            AlertState.state.in_(ACTIVE_STATES),
        )
    )
    return list(rows.all())


async def add_state(session: AsyncSession, state: AlertState) -> AlertState:
    session.add(state)
    await session.flush()
    return state


async def get_state(session: AsyncSession, alert_id: int) -> AlertState | None:
    return await session.get(AlertState, alert_id)


async def states_from(session: AsyncSession, subject_key: str, first_id: int) -> list[AlertState]:
    """Alerts of a subject with an id from ``first_id`` on (a message's batch starts there)."""
    rows = await session.scalars(
        select(AlertState)
        .where(AlertState.subject_key == subject_key, AlertState.id >= first_id)
        .order_by(AlertState.id)
    )
    return list(rows.all())


async def open_critical(session: AsyncSession) -> list[AlertState]:
    """Critical alerts nobody has acknowledged or snoozed (candidates for escalation)."""
    rows = await session.scalars(
        select(AlertState)
        .where(AlertState.state == "open", AlertState.severity == "critical")
        .order_by(AlertState.id)
    )
    return list(rows.all())


async def active_since(session: AsyncSession, since: datetime) -> list[AlertState]:
    """Alerts still open, acknowledged or snoozed, opened at or after ``since``."""
    rows = await session.scalars(
        select(AlertState)
        .where(AlertState.state.in_(ACTIVE_STATES), AlertState.opened_at >= since)
        .order_by(AlertState.severity, AlertState.store_id, AlertState.id)
    )
    return list(rows.all())


async def store_owners(session: AsyncSession, store_ids: Iterable[int]) -> dict[int, list[Member]]:
    """Active members responsible for each store (linked through member_stores)."""
    ids = sorted(set(store_ids))
    if not ids:
        return {}
    rows = await session.execute(
        select(MemberStore.store_id, Member)
        .join(Member, Member.id == MemberStore.member_id)
        .where(MemberStore.store_id.in_(ids), Member.active.is_(True))
        .order_by(Member.id)
    )
    owners: dict[int, list[Member]] = defaultdict(list)
    for store_id, member in rows.all():
        owners[store_id].append(member)
    return dict(owners)


async def department_managers(
    session: AsyncSession, department_ids: Iterable[int]
) -> dict[int, list[Member]]:
    ids = sorted(set(department_ids))
    if not ids:
        return {}
    rows = await session.scalars(
        select(Member)
        .where(
            Member.role == "manager",
            Member.active.is_(True),
            Member.department_id.in_(ids),
        )
        .order_by(Member.id)
    )
    managers: dict[int, list[Member]] = defaultdict(list)
    for member in rows.all():
        if member.department_id is not None:
            managers[member.department_id].append(member)
    return dict(managers)


async def members_with_roles(session: AsyncSession, roles: Sequence[str]) -> list[Member]:
    rows = await session.scalars(
        select(Member)
        .where(Member.role.in_(list(roles)), Member.active.is_(True))
        .order_by(Member.id)
    )
    return list(rows.all())


async def is_store_owner(session: AsyncSession, member_id: int, store_id: int) -> bool:
    found = await session.scalar(
        select(MemberStore.member_id).where(
            MemberStore.member_id == member_id, MemberStore.store_id == store_id
        )
    )
    return found is not None
