"""Order requests and their events. The caller owns the transaction.

A transition is an UPDATE guarded by the version the actor saw (optimistic concurrency): when
somebody else acted first, nothing is written and ``StaleOrderError`` says so.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Member, OrderEvent, OrderRequest

CLOSED_STATUSES = ("rejected", "accepted", "cancelled")


class StaleOrderError(Exception):
    """The order changed since the actor looked at it (its version moved on)."""


async def add_order(session: AsyncSession, order: OrderRequest) -> OrderRequest:
    session.add(order)
    await session.flush()
    return order


async def add_event(session: AsyncSession, event: OrderEvent) -> OrderEvent:
    session.add(event)
    await session.flush()
    return event


async def get_order(session: AsyncSession, order_id: int) -> OrderRequest | None:
    return await session.scalar(
        select(OrderRequest)
        .where(OrderRequest.id == order_id)
        .execution_options(populate_existing=True)
    )


async def update_order(
    session: AsyncSession, order_id: int, expected_version: int, values: dict[str, Any]
) -> None:
    """Apply ``values`` and bump the version, only if nobody changed the order meanwhile."""
    result = await session.execute(
        update(OrderRequest)
        .where(OrderRequest.id == order_id, OrderRequest.version == expected_version)
        .values(**values, version=expected_version + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise StaleOrderError(order_id)


async def events_of(session: AsyncSession, order_id: int) -> Sequence[OrderEvent]:
    return (
        await session.scalars(
            select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
        )
    ).all()


async def last_event(session: AsyncSession, order_id: int) -> OrderEvent | None:
    return await session.scalar(
        select(OrderEvent)
        .where(OrderEvent.order_id == order_id)
        .order_by(OrderEvent.id.desc())
        .limit(1)
    )


async def members_by_id(session: AsyncSession, ids: Collection[int | None]) -> dict[int, Member]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.scalars(select(Member).where(Member.id.in_(wanted)))
    return {m.id: m for m in rows.all()}


async def department_managers(session: AsyncSession, department_id: int) -> Sequence[Member]:
    return (
        await session.scalars(
            select(Member)
            .where(
                Member.department_id == department_id,
                Member.role == "manager",
                Member.active.is_(True),
            )
            .order_by(Member.id)
        )
    ).all()


async def admins(session: AsyncSession) -> Sequence[Member]:
    return (
        await session.scalars(
            select(Member)
            .where(Member.role == "admin", Member.active.is_(True))
            .order_by(Member.id)
        )
    ).all()


# --- lists -------------------------------------------------------------------------------------


def _open() -> Any:
    return OrderRequest.status.not_in(CLOSED_STATUSES)


def _page(
    query: Select[tuple[OrderRequest]], offset: int, limit: int
) -> Select[tuple[OrderRequest]]:
    return query.order_by(OrderRequest.id.desc()).offset(offset).limit(limit)


async def _list(
    session: AsyncSession, query: Select[tuple[OrderRequest]], offset: int, limit: int
) -> Sequence[OrderRequest]:
    return (await session.scalars(_page(query, offset, limit))).all()


async def list_requested_by(
    session: AsyncSession, member_id: int, *, offset: int = 0, limit: int = 10
) -> Sequence[OrderRequest]:
    """Everything the member asked for (open ones and the recently closed)."""
    query = select(OrderRequest).where(OrderRequest.requester_id == member_id)
    return await _list(session, query, offset, limit)


async def list_assigned_to(
    session: AsyncSession, member_id: int, *, offset: int = 0, limit: int = 10
) -> Sequence[OrderRequest]:
    query = select(OrderRequest).where(OrderRequest.assignee_id == member_id, _open())
    return await _list(session, query, offset, limit)


async def list_department_queue(
    session: AsyncSession,
    department_ids: Collection[int] | None,
    *,
    offset: int = 0,
    limit: int = 10,
) -> Sequence[OrderRequest]:
    """Open orders of the departments (None: every department)."""
    query = select(OrderRequest).where(_open())
    if department_ids is not None:
        query = query.where(OrderRequest.department_id.in_(list(department_ids)))
    return await _list(session, query, offset, limit)


def _overdue(now: datetime) -> Any:
    return and_(
        _open(),
        OrderRequest.status != "delivered",
        OrderRequest.deadline.is_not(None),
        OrderRequest.deadline < now,
    )


async def list_overdue(
    session: AsyncSession,
    now: datetime,
    *,
    member_id: int | None = None,
    department_ids: Collection[int] | None = None,
    everything: bool = False,
    offset: int = 0,
    limit: int = 10,
) -> Sequence[OrderRequest]:
    """Overdue orders the member asked for, works on, or (managers) their departments own."""
    query = select(OrderRequest).where(_overdue(now))
    if not everything:
        visible = []
        if member_id is not None:
            visible += [
                OrderRequest.requester_id == member_id,
                OrderRequest.assignee_id == member_id,
            ]
        if department_ids:
            visible.append(OrderRequest.department_id.in_(list(department_ids)))
        if not visible:
            return []
        query = query.where(or_(*visible))
    return await _list(session, query, offset, limit)


# --- for the SLA job and the morning summary ---------------------------------------------------


async def open_orders(session: AsyncSession) -> Sequence[OrderRequest]:
    """Every open order, oldest first (the SLA job looks at each one)."""
    return (
        await session.scalars(select(OrderRequest).where(_open()).order_by(OrderRequest.id))
    ).all()


async def count_by_department_status(session: AsyncSession) -> dict[tuple[int, str], int]:
    rows = await session.execute(
        select(OrderRequest.department_id, OrderRequest.status, func.count())
        .where(_open())
        .group_by(OrderRequest.department_id, OrderRequest.status)
    )
    return {(dept, status): count for dept, status, count in rows.all()}


async def orders_created_between(
    session: AsyncSession, start: datetime, end: datetime
) -> Sequence[OrderRequest]:
    """Orders created in [start, end), oldest first (the export filters them by scope)."""
    query = (
        select(OrderRequest)
        .where(OrderRequest.created_at >= start, OrderRequest.created_at < end)
        .order_by(OrderRequest.id)
    )
    return (await session.scalars(query)).all()


async def events_for_orders(
    session: AsyncSession, order_ids: Collection[int]
) -> Sequence[OrderEvent]:
    if not order_ids:
        return []
    query = (
        select(OrderEvent)
        .where(OrderEvent.order_id.in_(list(order_ids)))
        .order_by(OrderEvent.order_id, OrderEvent.id)
    )
    return (await session.scalars(query)).all()
