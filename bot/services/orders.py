"""Order requests and follow-up tasks: create, act on, list, and who may see what.

Every transition is checked by ``bot.domain.order_workflow``, written with the version the actor
saw (optimistic concurrency), recorded as an ``OrderEvent`` and announced through the outbox,
all in the caller's transaction.

A request for a department without an active manager is refused at submit (``NoManagerError``):
nobody would ever approve it, and silently routing it to admins would hide a gap in the org.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.order_dates import When
from bot.domain.order_workflow import Action, Part, Status, Verdict, available_actions, decide
from bot.org.schema import OrgConfig
from bot.org.sections import OrderType
from bot.roles import Role
from bot.services.order_notify import notify_transition
from bot.services.scope import scope_of
from storage.models import Member, OrderEvent, OrderRequest
from storage.repositories import catalog
from storage.repositories import orders as repo
from storage.repositories.members import list_members
from storage.repositories.orders import StaleOrderError

log = logging.getLogger(__name__)
TITLE_LIMIT = 300


class NoManagerError(Exception):
    """The target department has no active manager to approve the request."""


# --- creating ------------------------------------------------------------------------------------


def deadline_of(
    org: OrgConfig, order_type: OrderType, answers: dict[str, Any], now: datetime
) -> datetime:
    """The first date field of the type is the deadline; without one, the SLA's delivery time."""
    for field in order_type.fields:
        if field.type == "date" and answers.get(field.key):
            return When.from_text(str(answers[field.key])).local(org.tz)
    return now + timedelta(hours=order_type.sla.deliver_within_hours)


def title_of(order_type: OrderType, answers: dict[str, Any], org: OrgConfig) -> str:
    name = order_type.name.get(org.default_locale)
    store = next(
        (answers[f.key] for f in order_type.fields if f.type == "store" and answers.get(f.key)),
        None,
    )
    code = store.get("code") if isinstance(store, dict) else None
    return (f"{name} · {code}" if code else name)[:TITLE_LIMIT]


async def create_order(
    session: AsyncSession,
    org: OrgConfig,
    *,
    requester: Member,
    order_type: OrderType,
    answers: dict[str, Any],
    now: datetime,
) -> OrderRequest:
    """Submit a filled form; the target department's managers are notified."""
    department = await catalog.get_department_by_code(session, order_type.department)
    if department is None or not department.active:
        raise NoManagerError(order_type.department)
    if not await repo.department_managers(session, department.id):
        raise NoManagerError(order_type.department)
    store_id = next(
        (
            answers[f.key].get("id")
            for f in order_type.fields
            if f.type == "store" and isinstance(answers.get(f.key), dict)
        ),
        None,
    )
    order = await repo.add_order(
        session,
        OrderRequest(
            kind="order",
            type_code=order_type.code,
            title=title_of(order_type, answers, org),
            department_id=department.id,
            requester_id=requester.id,
            store_id=store_id,
            status=Status.SUBMITTED.value,
            fields=dict(answers),
            deadline=deadline_of(org, order_type, answers, now),
            version=1,
            created_at=now,
            updated_at=now,
        ),
    )
    await _record(session, order, requester, Action.SUBMIT, None, Status.SUBMITTED, None, None, now)
    await notify_transition(
        session, org, order, Action.SUBMIT, requester, note=None, attachment=None, now=now
    )
    log.info("order submitted id=%s type=%s requester=%s", order.id, order_type.code, requester.id)
    return order


async def create_task(
    session: AsyncSession,
    *,
    department_id: int,
    store_id: int | None,
    assignee_id: int,
    title: str,
    alert_id: int | None,
    creator_id: int | None,
    deadline: datetime | None,
    now: datetime,
    org: OrgConfig | None = None,
) -> OrderRequest:
    """A follow-up task (e.g. from a KPI alert): kind "task", no type, born ``assigned``.

    It shows in the assignee's /orders and goes through start / deliver / accept like an order;
    the creator (stored as its requester) accepts or reopens it. With ``org`` the assignee is
    notified through the outbox at once.
    """
    order = await repo.add_order(
        session,
        OrderRequest(
            kind="task",
            type_code=None,
            title=title[:TITLE_LIMIT],
            department_id=department_id,
            requester_id=creator_id,
            assignee_id=assignee_id,
            store_id=store_id,
            status=Status.ASSIGNED.value,
            fields={},
            deadline=deadline,
            alert_id=alert_id,
            version=1,
            created_at=now,
            updated_at=now,
        ),
    )
    creator = await session.get(Member, creator_id) if creator_id else None
    await _record(session, order, creator, Action.ASSIGN, None, Status.ASSIGNED, None, None, now)
    if org is not None:
        await notify_transition(
            session, org, order, Action.ASSIGN, creator, note=None, attachment=None, now=now
        )
    return order


async def _record(
    session: AsyncSession,
    order: OrderRequest,
    actor: Member | None,
    action: Action,
    source: Status | None,
    target: Status,
    note: str | None,
    attachment: dict[str, Any] | None,
    now: datetime,
) -> OrderEvent:
    return await repo.add_event(
        session,
        OrderEvent(
            order_id=order.id,
            actor_id=actor.id if actor else None,
            action=action.value,
            from_status=source.value if source else None,
            to_status=target.value,
            note=note,
            attachment=attachment,
            at=now,
        ),
    )


# --- who may do and see what ---------------------------------------------------------------------


def parts_of(order: OrderRequest, member: Member) -> frozenset[Part]:
    parts = set()
    if order.requester_id == member.id:
        parts.add(Part.REQUESTER)
    if order.assignee_id == member.id:
        parts.add(Part.ASSIGNEE)
    if member.role == Role.MANAGER and member.department_id == order.department_id:
        parts.add(Part.MANAGER)
        if order.kind == "task" and order.requester_id is None:
            parts.add(Part.REQUESTER)  # a task nobody created is checked by its department
    if member.role == Role.ADMIN:
        parts.add(Part.ADMIN)
    return frozenset(parts)


def next_actions(order: OrderRequest, member: Member) -> list[Action]:
    """What ``member`` may do with the order now: the buttons under its card."""
    return available_actions(order.status, parts_of(order, member))


async def can_view(session: AsyncSession, order: OrderRequest, member: Member) -> bool:
    """Requester, assignee, the target department, bod/admin, and managers who see the requester."""
    if parts_of(order, member) or member.role in (Role.BOD, Role.ADMIN):
        return True
    if member.department_id is not None and member.department_id == order.department_id:
        return True
    if order.requester_id is None:
        return False
    return (await scope_of(session, member)).sees_member(order.requester_id)


async def visible_order(
    session: AsyncSession, member: Member, order_id: int
) -> OrderRequest | None:
    """The order if it exists and the member may see it; None otherwise (same answer for both)."""
    order = await repo.get_order(session, order_id)
    if order is None or not await can_view(session, order, member):
        return None
    return order


async def assignable_members(session: AsyncSession, order: OrderRequest) -> Sequence[Member]:
    return await list_members(session, department_id=order.department_id)


# --- acting ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActOutcome:
    """``verdict`` "ok", or why nothing changed: not_found, not_allowed, stale, note_required,
    bad_assignee. ``last`` is the event that made a button stale (who acted, when)."""

    verdict: str
    order: OrderRequest | None = None
    last: OrderEvent | None = None
    last_actor: Member | None = None

    @property
    def ok(self) -> bool:
        return self.verdict == "ok"


async def _stale(session: AsyncSession, order: OrderRequest) -> ActOutcome:
    last = await repo.last_event(session, order.id)
    actor = await session.get(Member, last.actor_id) if last and last.actor_id else None
    return ActOutcome("stale", order, last, actor)


async def check(
    session: AsyncSession, *, actor: Member, order_id: int, action: Action, version: int
) -> ActOutcome:
    """Whether ``actor`` may start ``action`` now (before asking them for a reason or a file)."""
    order = await repo.get_order(session, order_id)
    if order is None or not await can_view(session, order, actor):
        return ActOutcome("not_found")
    decision = decide(order.status, action, parts_of(order, actor), note="-", has_deliverable=True)
    if decision.verdict is Verdict.NOT_ALLOWED:
        return ActOutcome("not_allowed", order)
    if decision.verdict is Verdict.WRONG_STATUS or order.version != version:
        return await _stale(session, order)
    return ActOutcome("ok", order)


async def act(
    session: AsyncSession,
    org: OrgConfig,
    *,
    actor: Member,
    order_id: int,
    action: Action,
    version: int,
    now: datetime,
    note: str | None = None,
    attachment: dict[str, Any] | None = None,
    assignee_id: int | None = None,
) -> ActOutcome:
    """Do ``action`` on the order as ``actor`` if they may and the order is still at ``version``."""
    order = await repo.get_order(session, order_id)
    if order is None or not await can_view(session, order, actor):
        return ActOutcome("not_found")
    decision = decide(
        order.status,
        action,
        parts_of(order, actor),
        note=note,
        has_deliverable=attachment is not None,
    )
    if decision.verdict is Verdict.NOT_ALLOWED:
        return ActOutcome("not_allowed", order)
    if decision.verdict is Verdict.WRONG_STATUS or order.version != version:
        return await _stale(session, order)
    if decision.verdict is Verdict.NOTE_REQUIRED or decision.target is None:
        return ActOutcome("note_required", order)
    values: dict[str, Any] = {"status": decision.target.value, "updated_at": now}
    if action is Action.ASSIGN:
        candidates = {m.id for m in await assignable_members(session, order)}
        if assignee_id not in candidates:
            return ActOutcome("bad_assignee", order)
        values["assignee_id"] = assignee_id
    source = Status(order.status)
    try:
        await repo.update_order(session, order.id, version, values)
    except StaleOrderError:
        return await _stale(session, await repo.get_order(session, order.id) or order)
    fresh = await repo.get_order(session, order.id)
    assert fresh is not None
    await _record(session, fresh, actor, action, source, decision.target, note, attachment, now)
    await notify_transition(
        session, org, fresh, action, actor, note=note, attachment=attachment, now=now
    )
    log.info(
        "order %s %s -> %s by member=%s", order.id, action.value, decision.target.value, actor.id
    )
    return ActOutcome("ok", fresh)


# --- lists -------------------------------------------------------------------------------------

TABS = ("mine", "assigned", "queue", "overdue")
PAGE_SIZE = 8


def tabs_for(member: Member) -> list[str]:
    if member.role in (Role.MANAGER, Role.ADMIN, Role.BOD):
        return list(TABS)
    return ["mine", "assigned", "overdue"]


async def list_tab(
    session: AsyncSession, member: Member, tab: str, page: int, now: datetime
) -> tuple[list[OrderRequest], bool]:
    """One page of a tab and whether a next page exists."""
    offset, limit = page * PAGE_SIZE, PAGE_SIZE + 1
    rows: Sequence[OrderRequest]
    everything = member.role in (Role.BOD, Role.ADMIN)
    departments = (
        [member.department_id] if member.role == Role.MANAGER and member.department_id else []
    )
    if tab == "assigned":
        rows = await repo.list_assigned_to(session, member.id, offset=offset, limit=limit)
    elif tab == "queue":
        if not everything and not departments:
            rows = []
        else:
            rows = await repo.list_department_queue(
                session, None if everything else departments, offset=offset, limit=limit
            )
    elif tab == "overdue":
        rows = await repo.list_overdue(
            session,
            now,
            member_id=member.id,
            department_ids=departments,
            everything=everything,
            offset=offset,
            limit=limit,
        )
    else:
        rows = await repo.list_requested_by(session, member.id, offset=offset, limit=limit)
    return list(rows[:PAGE_SIZE]), len(rows) > PAGE_SIZE
