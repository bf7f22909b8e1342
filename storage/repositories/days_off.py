"""Days off (`/off`): requests, decisions, and who is away on which days. No commits here.

One request may name several days; its rows share ``member_id`` and ``requested_at``, and the
request is known by the id of its first row plus its ``request_stamp`` (a rejected day asked
again is the same row in a new request: the stamp tells the two requests apart).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DayOff

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"


async def approved_between(session: AsyncSession, first: date, last: date) -> dict[int, set[date]]:
    """Member id → their approved days off between ``first`` and ``last`` inclusive."""
    rows = await session.execute(
        select(DayOff.member_id, DayOff.day).where(
            DayOff.status == APPROVED, DayOff.day >= first, DayOff.day <= last
        )
    )
    away: dict[int, set[date]] = {}
    for member_id, day in rows.all():
        away.setdefault(member_id, set()).add(day)
    return away


async def of_member(
    session: AsyncSession, member_id: int, days: Sequence[date]
) -> dict[date, DayOff]:
    rows = await session.scalars(
        select(DayOff).where(DayOff.member_id == member_id, DayOff.day.in_(list(days)))
    )
    return {row.day: row for row in rows.all()}


async def upcoming(session: AsyncSession, member_id: int, since: date) -> Sequence[DayOff]:
    return (
        await session.scalars(
            select(DayOff)
            .where(DayOff.member_id == member_id, DayOff.day >= since)
            .order_by(DayOff.day)
        )
    ).all()


async def request_days(
    session: AsyncSession,
    member_id: int,
    days: Sequence[date],
    reason: str | None,
    now: datetime,
) -> list[DayOff]:
    """Pending rows for ``days``; a day already pending or approved is left as it is, a
    rejected one is asked again. Returns the rows of this request (empty: nothing new)."""
    existing = await of_member(session, member_id, days)
    rows: list[DayOff] = []
    for day in days:
        row = existing.get(day)
        if row is not None and row.status != REJECTED:
            continue
        if row is None:
            row = DayOff(member_id=member_id, day=day)
            session.add(row)
        # A rejected day asked again becomes part of this request (a new ``requested_at``).
        row.status, row.reason, row.requested_at = PENDING, reason, now
        row.decided_by_id = row.decided_at = None
        rows.append(row)
    await session.flush()
    return sorted(rows, key=lambda r: r.id)


def request_stamp(row: DayOff) -> int:
    """Milliseconds since the epoch of the row's request (exact integer arithmetic)."""
    return (row.requested_at - _EPOCH) // timedelta(milliseconds=1)


async def get(session: AsyncSession, day_off_id: int) -> DayOff | None:
    return await session.get(DayOff, day_off_id)


async def request_rows(session: AsyncSession, first: DayOff) -> Sequence[DayOff]:
    """Every row of the request ``first`` opened (same member, same request instant)."""
    return (
        await session.scalars(
            select(DayOff)
            .where(DayOff.member_id == first.member_id, DayOff.requested_at == first.requested_at)
            .order_by(DayOff.day)
        )
    ).all()


async def decide(
    session: AsyncSession, rows: Sequence[DayOff], status: str, decider_id: int, now: datetime
) -> int:
    """Decide the still-pending ``rows``; how many changed (0: someone decided first).

    The status check is in the UPDATE itself, so two managers pressing at once cannot both win.
    """
    result = await session.execute(
        update(DayOff)
        .where(DayOff.id.in_([r.id for r in rows]), DayOff.status == PENDING)
        .values(status=status, decided_by_id=decider_id, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    changed = int(getattr(result, "rowcount", 0) or 0)
    for row in rows:
        await session.refresh(row)
    return changed
