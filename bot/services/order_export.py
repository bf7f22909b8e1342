"""The "requests" and "timeline" sheets of the monthly export (sheet sources of
``bot.services.export``): orders created in the month that the member may see, and every
transition of those orders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.export_request import ExportRequest
from bot.services.xlsx import Column, Sheet
from bot.views.orders import type_name
from storage.models import Member, OrderRequest, Store
from storage.repositories import catalog
from storage.repositories import orders as repo


def _visible(order: OrderRequest, request: ExportRequest) -> bool:
    """Everything for bod/admin; a department's queue for its managers; own requests and
    work for everyone else, and their people's for managers."""
    scope = request.scope
    if scope.everything:
        return True
    if order.department_id in scope.department_ids:
        return True
    return bool({order.requester_id, order.assignee_id} & set(scope.member_ids))


async def _orders(session: AsyncSession, request: ExportRequest) -> list[OrderRequest]:
    tz = request.org.tz
    start = datetime.combine(request.month.first_day, time(0), tzinfo=tz)
    end = datetime.combine(request.month.next().first_day, time(0), tzinfo=tz)
    rows = await repo.orders_created_between(session, start, end)
    return [o for o in rows if _visible(o, request)]


def _local(instant: datetime | None, request: ExportRequest) -> str | None:
    if instant is None:
        return None
    return instant.astimezone(request.org.tz).strftime("%Y-%m-%d %H:%M")


async def _names(session: AsyncSession, ids: Sequence[int | None]) -> dict[int, Member]:
    return await repo.members_by_id(session, ids)


async def requests_sheet(session: AsyncSession, request: ExportRequest) -> Sheet | None:
    """One row per request created in the month."""
    orders = await _orders(session, request)
    if not orders:
        return None
    t = request.t
    people = await _names(session, [i for o in orders for i in (o.requester_id, o.assignee_id)])
    departments = {d.id: d for d in await catalog.list_departments(session)}
    stores = {o.store_id: await session.get(Store, o.store_id) for o in orders if o.store_id}
    sheet = Sheet(
        t("order.export.sheet_requests"),
        [
            Column(t("order.export.col_number"), "count"),
            Column(t("order.export.col_type")),
            Column(t("order.export.col_title")),
            Column(t("order.export.col_department")),
            Column(t("order.export.col_requester")),
            Column(t("order.export.col_assignee")),
            Column(t("order.export.col_store")),
            Column(t("order.export.col_status")),
            Column(t("order.export.col_created")),
            Column(t("order.export.col_deadline")),
            Column(t("order.export.col_updated")),
        ],
    )
    for order in orders:
        department = departments.get(order.department_id)
        store = stores.get(order.store_id) if order.store_id else None
        requester = people.get(order.requester_id) if order.requester_id else None
        assignee = people.get(order.assignee_id) if order.assignee_id else None
        sheet.rows.append(
            [
                order.id,
                type_name(request.org, order, t),
                order.title,
                (department.name_en if t.locale == "en" else department.name_vi)
                if department
                else None,
                requester.full_name if requester else None,
                assignee.full_name if assignee else None,
                store.code if store else None,
                t(f"order.status.{order.status}"),
                _local(order.created_at, request),
                _local(order.deadline, request),
                _local(order.updated_at, request),
            ]
        )
    return sheet


async def timeline_sheet(session: AsyncSession, request: ExportRequest) -> Sheet | None:
    """Every transition of those requests: who, when, from → to, note, attachment."""
    orders = await _orders(session, request)
    events = await repo.events_for_orders(session, [o.id for o in orders])
    if not events:
        return None
    t = request.t
    people = await _names(session, [e.actor_id for e in events])
    sheet = Sheet(
        t("order.export.sheet_timeline"),
        [
            Column(t("order.export.col_number"), "count"),
            Column(t("order.export.col_at")),
            Column(t("order.export.col_actor")),
            Column(t("order.export.col_action")),
            Column(t("order.export.col_from")),
            Column(t("order.export.col_to")),
            Column(t("order.export.col_note")),
            Column(t("order.export.col_attachment")),
        ],
    )
    for event in events:
        actor = people.get(event.actor_id) if event.actor_id else None
        attachment = event.attachment or {}
        sheet.rows.append(
            [
                event.order_id,
                _local(event.at, request),
                actor.full_name if actor else t("order.actor.system"),
                t(f"order.action.{event.action}"),
                t(f"order.status.{event.from_status}") if event.from_status else None,
                t(f"order.status.{event.to_status}"),
                event.note,
                attachment.get("name") or attachment.get("url"),
            ]
        )
    return sheet
