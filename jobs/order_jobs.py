"""Scheduled jobs of order requests: SLA reminders every 15 minutes, a morning queue summary
(followed by the on-time alert of departments under the org's threshold).

Both only queue outbox rows. Besides the (job, period) run key, every message has a dedupe key
per order and reminder kind, so a reminder is sent once however many runs see it due.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.payloads import message_payload
from bot.domain.order_workflow import WORKING, Part, Status, is_overdue
from bot.domain.outbox import Priority
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.services.order_notify import queue_card
from bot.services.order_view import load_view
from bot.services.service_kpi import departments_below_on_time
from bot.views.orders import department_text, local_text
from bot.views.service_kpi import on_time_alert_text
from storage.models import Member, OrderRequest
from storage.repositories import catalog, outbox
from storage.repositories import orders as repo

# Reminders to the assignee when this much time is left before the deadline, largest first.
DUE_REMINDERS = (("due24", timedelta(hours=24)), ("due2", timedelta(hours=2)))


def due_reminder(deadline: datetime, at: datetime) -> str | None:
    """The tightest reminder window the time left falls in (none once the deadline passed)."""
    left = deadline - at
    if left <= timedelta(0):
        return None
    kind = None
    for name, window in DUE_REMINDERS:
        if left <= window:
            kind = name
    return kind


async def _managers(
    session: AsyncSession, cache: dict[int, list[Member]], dept: int
) -> list[Member]:
    if dept not in cache:
        cache[dept] = list(await repo.department_managers(session, dept))
    return cache[dept]


async def sla_reminders(session: AsyncSession, org: OrgConfig, period: str, at: datetime) -> str:
    """Deadline reminders to assignees, overdue alerts and approval reminders to managers."""
    counts: Counter[str] = Counter()
    managers: dict[int, list[Member]] = {}
    for order in await repo.open_orders(session):
        for kind, recipients, parts, params, priority in await _due_messages(
            session, org, order, at, managers
        ):
            view = await load_view(session, order)
            for member in recipients:
                queued = await queue_card(
                    session,
                    org,
                    view,
                    member,
                    headline_key=f"order.remind.{kind}",
                    what=f"sla_{kind}",
                    now=at,
                    parts=parts,
                    params=params,
                    priority=priority,
                    dedupe_key=f"order:{order.id}:sla:{kind}:m{member.id}",
                )
                counts[kind] += int(queued)
    if not counts:
        return "no reminders due"
    return ", ".join(f"{kind}: {count}" for kind, count in sorted(counts.items()))


async def _due_messages(
    session: AsyncSession,
    org: OrgConfig,
    order: OrderRequest,
    at: datetime,
    managers: dict[int, list[Member]],
) -> list[tuple[str, list[Member], frozenset[Part], dict[str, str], Priority]]:
    messages = []
    deadline = local_text(order.deadline, org.tz) if order.deadline else "—"
    order_type = org.order_type(order.type_code) if order.type_code else None
    if order.status == Status.SUBMITTED and order_type is not None:
        hours = order_type.sla.approve_within_hours
        if at - order.created_at >= timedelta(hours=hours):
            recipients = await _managers(session, managers, order.department_id)
            params = {"hours": f"{hours:g}", "deadline": deadline}
            messages.append(
                ("approval", recipients, frozenset({Part.MANAGER}), params, Priority.REMINDER)
            )
    if order.deadline is None:
        return messages
    if order.status in WORKING and order.assignee_id is not None:
        kind = due_reminder(order.deadline, at)
        assignee = await session.get(Member, order.assignee_id)
        if kind is not None and assignee is not None:
            params = {"deadline": deadline, "hours": ""}
            messages.append(
                (kind, [assignee], frozenset({Part.ASSIGNEE}), params, Priority.REMINDER)
            )
    if is_overdue(order.status, order.deadline.timestamp(), at.timestamp()):
        recipients = await _managers(session, managers, order.department_id)
        params = {"deadline": deadline, "hours": ""}
        messages.append(("overdue", recipients, frozenset(), params, Priority.NOTICE))
    return messages


async def morning_summary(session: AsyncSession, org: OrgConfig, period: str, at: datetime) -> str:
    """Each department's open requests, counted by stage, to its managers."""
    by_department: dict[int, Counter[str]] = defaultdict(Counter)
    for order in await repo.open_orders(session):
        counts = by_department[order.department_id]
        status = Status(order.status)
        stage = "working" if status in WORKING else status.value
        counts[stage] += 1
        if order.deadline is not None and is_overdue(
            status, order.deadline.timestamp(), at.timestamp()
        ):
            counts["overdue"] += 1
    sent = 0
    for department_id, counts in sorted(by_department.items()):
        department = await catalog.get_department(session, department_id)
        for manager in await repo.department_managers(session, department_id):
            t = Translator(manager.locale)
            text = "\n".join(
                [
                    t("order.morning.header", department=department_text(department, t)),
                    t(
                        "order.morning.counts",
                        waiting=counts["submitted"],
                        approved=counts["approved"],
                        working=counts["working"],
                        delivered=counts["delivered"],
                        overdue=counts["overdue"],
                    ),
                    t("order.morning.footer"),
                ]
            )
            sent += await outbox.enqueue(
                session,
                dedupe_key=f"order_summary:{period}:d{department_id}:m{manager.id}",
                chat_id=manager.telegram_id,
                kind="order_summary",
                payload=message_payload(text),
                priority=Priority.DIGEST,
                now=at,
            )
    alerted = await on_time_alerts(session, org, at)
    return f"{sent} summaries queued for {len(by_department)} departments, {alerted}"


async def on_time_alerts(session: AsyncSession, org: OrgConfig, at: datetime) -> str:
    """A department whose on-time rate over the org's window is under its threshold alerts
    its managers, once per ISO week (the dedupe key), with the numbers of ``/kpi dept``."""
    settings = org.service_kpi
    year, week, _ = at.astimezone(org.tz).isocalendar()
    queued = 0
    below = await departments_below_on_time(session, org, at)
    for view in below:
        department = view.department
        for manager in await repo.department_managers(session, department.id):
            t = Translator(manager.locale)
            text = on_time_alert_text(
                view.kpi,
                department,
                t,
                days=settings.window_days,
                threshold=settings.on_time_alert_below,
            )
            queued += await outbox.enqueue(
                session,
                dedupe_key=f"order_on_time:{year}-W{week:02d}:d{department.id}:m{manager.id}",
                chat_id=manager.telegram_id,
                kind="order_on_time",
                payload=message_payload(text),
                priority=Priority.NOTICE,
                now=at,
            )
    return f"{queued} on-time alerts for {len(below)} departments"
