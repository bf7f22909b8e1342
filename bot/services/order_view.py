"""Reading what an order's card and timeline mention: its department, store and people."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.records import MemberRow
from bot.views.orders import OrderView
from storage.models import Member, OrderEvent, OrderRequest, Store
from storage.repositories import catalog
from storage.repositories import orders as repo


async def order_people(session: AsyncSession, order: OrderRequest) -> dict[int, Member]:
    """The requester and the assignee, by id."""
    return await repo.members_by_id(session, [order.requester_id, order.assignee_id])


async def load_view(
    session: AsyncSession, order: OrderRequest, people: Mapping[int, MemberRow] | None = None
) -> OrderView:
    """The order with its rows; ``people`` when the caller has already read them."""
    department = await catalog.get_department(session, order.department_id)
    store = await session.get(Store, order.store_id) if order.store_id else None
    if people is None:
        people = await order_people(session, order)
    return OrderView(order, department, store, people)


async def timeline(
    session: AsyncSession, order_id: int
) -> tuple[list[OrderEvent], dict[int, Member]]:
    """Every event of the order, oldest first, and the people who acted."""
    events = list(await repo.events_of(session, order_id))
    actors = await repo.members_by_id(session, [event.actor_id for event in events])
    return events, actors
