"""Order requests of a department as plain records for its KPIs (``bot.domain.service_kpi``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.service_kpi import EventRecord, RequestRecord
from storage.models import OrderEvent, OrderRequest
from storage.repositories.orders import CLOSED_STATUSES


def _wanted(department_id: int, since: datetime) -> Any:
    return and_(
        OrderRequest.department_id == department_id,
        OrderRequest.kind == "order",
        or_(
            OrderRequest.updated_at >= since,
            OrderRequest.created_at >= since,
            OrderRequest.deadline >= since,
            OrderRequest.status.not_in(CLOSED_STATUSES),
        ),
    )


async def department_requests(
    session: AsyncSession, department_id: int, since: datetime
) -> list[RequestRecord]:
    """Requests (not follow-up tasks) of the department that were submitted or changed since
    ``since``, have a deadline since then, or are still open, each with its events in order.

    Two queries with the same filter (the events joined to their requests) rather than a list
    of ids: a busy department has thousands of requests in a window.
    """
    wanted = _wanted(department_id, since)
    requests = (
        await session.execute(
            select(
                OrderRequest.id,
                OrderRequest.created_at,
                OrderRequest.status,
                OrderRequest.deadline,
                OrderRequest.assignee_id,
            )
            .where(wanted)
            .order_by(OrderRequest.id)
        )
    ).all()
    events: dict[int, list[EventRecord]] = {}
    rows = await session.execute(
        select(OrderEvent.order_id, OrderEvent.at, OrderEvent.action, OrderEvent.to_status)
        .join(OrderRequest, OrderRequest.id == OrderEvent.order_id)
        .where(wanted)
        .order_by(OrderEvent.order_id, OrderEvent.id)
    )
    for order_id, at, action, to_status in rows.all():
        events.setdefault(order_id, []).append(EventRecord(at, action, to_status))
    return [
        RequestRecord(
            id=row.id,
            submitted_at=row.created_at,
            status=row.status,
            deadline=row.deadline,
            assignee_id=row.assignee_id,
            events=tuple(events.get(row.id, ())),
        )
        for row in requests
    ]
