"""How an order looks in chat: its card, its timeline and the buttons of the next steps.

Shared by the /order and /orders replies, the notifications queued in the outbox and the SLA
jobs, so a request reads the same wherever it shows up. Rendering only; no decisions here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Protocol

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.number_format import format_value
from bot.domain.order_dates import When
from bot.domain.order_fields import MAX_ATTACHMENT_BYTES
from bot.domain.order_workflow import Action
from bot.domain.records import DepartmentRow, MemberRow, OrderEventRow, OrderRow, StoreRef
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.org.sections import OrderField
from bot.views.safe import user_text


class OrderCallback(CallbackData, prefix="od"):
    """A button on an order: ``a`` the action, ``o`` the order, ``v`` the version it was shown
    at (a later version makes the button stale), ``m`` the member picked by Assign."""

    a: str
    o: int
    v: int
    m: int = 0


# Button actions besides the workflow ones: open the member list, pick one, show details.
PICK_ASSIGNEE = "assign"
ASSIGN_TO = "to"
VIEW = "view"

ACTION_ICONS = {
    Action.APPROVE: "✅",
    Action.REJECT: "✖️",
    Action.ASSIGN: "👤",
    Action.START: "▶️",
    Action.DELIVER: "📦",
    Action.ACCEPT: "👍",
    Action.REOPEN: "🔁",
    Action.CANCEL: "🚫",
}


@dataclass(frozen=True)
class OrderView:
    """An order with the rows it mentions, loaded once (``bot.services.order_view``)."""

    order: OrderRow
    department: DepartmentRow | None
    store: StoreRef | None
    people: Mapping[int, MemberRow]

    def name(self, member_id: int | None) -> str:
        member = self.people.get(member_id) if member_id is not None else None
        return user_text(member.full_name) if member else "—"


class Refusal(Protocol):
    """Why an act on an order changed nothing (the service's outcome, read-only)."""

    @property
    def verdict(self) -> str: ...
    @property
    def order(self) -> OrderRow | None: ...
    @property
    def last(self) -> OrderEventRow | None: ...
    @property
    def last_actor(self) -> MemberRow | None: ...


def local_text(instant: datetime | None, tz: tzinfo) -> str:
    if instant is None:
        return "—"
    return instant.astimezone(tz).strftime("%H:%M %d/%m/%Y")


def short_time(instant: datetime, tz: tzinfo) -> str:
    return instant.astimezone(tz).strftime("%H:%M %d/%m")


def type_name(org: OrgConfig, order: OrderRow, t: Translator) -> str:
    order_type = org.order_type(order.type_code) if order.type_code else None
    if order_type is None:
        return user_text(order.title) if order.kind == "task" else user_text(order.type_code or "—")
    return user_text(order_type.name.get(t.locale))


def department_text(department: DepartmentRow | None, t: Translator) -> str:
    if department is None:
        return "—"
    return user_text(department.name_en if t.locale == "en" else department.name_vi)


def status_text(status: str, t: Translator) -> str:
    return t(f"order.status.{status}")


def field_value_text(
    org: OrgConfig, field: OrderField, value: Any, t: Translator, store: StoreRef | None = None
) -> str:
    """One answer in canonical form (money as ``12.500.000 ₫``, dates as ``25/11/2026``)."""
    if value is None:
        return "—"
    if field.type in ("number", "money"):
        if field.type == "money":
            return format_value(float(value), "money", t.locale, integer=True)
        return format_value(float(value), "number", t.locale)
    if field.type == "date":
        when = When.from_text(str(value))
        text = when.day.strftime("%d/%m/%Y")
        return f"{when.at.strftime('%H:%M')} {text}" if when.at else text
    if field.type == "store":
        code = value.get("code") if isinstance(value, dict) else None
        return user_text(str(code or (store.code if store else value)))
    if field.type in ("photo", "file") and isinstance(value, dict):
        return "📎 " + user_text(str(value.get("name") or t("order.attachment.photo")))
    return user_text(str(value))


def card_text(org: OrgConfig, view: OrderView, t: Translator, *, with_fields: bool = True) -> str:
    order = view.order
    lines = [
        t("order.card.title", number=order.id, type=type_name(org, order, t)),
        t("order.card.status", status=status_text(order.status, t)),
        t(
            "order.card.route",
            requester=view.name(order.requester_id),
            department=department_text(view.department, t),
        ),
    ]
    if order.assignee_id is not None:
        lines.append(t("order.card.assignee", name=view.name(order.assignee_id)))
    if order.deadline is not None:
        lines.append(t("order.card.deadline", deadline=local_text(order.deadline, org.tz)))
    order_type = org.order_type(order.type_code) if order.type_code else None
    if with_fields and order_type is not None:
        for field in order_type.fields:
            if field.key in order.fields:
                value = field_value_text(org, field, order.fields[field.key], t, view.store)
                lines.append(f"• {user_text(field.label.get(t.locale))}: {value}")
    return "\n".join(lines)


def event_line(
    org: OrgConfig, event: OrderEventRow, people: Mapping[int, MemberRow], t: Translator
) -> str:
    actor = people.get(event.actor_id) if event.actor_id is not None else None
    line = t(
        "order.timeline.line",
        at=short_time(event.at, org.tz),
        actor=user_text(actor.full_name) if actor else t("order.actor.system"),
        action=t(f"order.action.{event.action}"),
        status=status_text(event.to_status, t),
    )
    if event.note:
        line += f"\n   «{user_text(event.note)}»"
    if event.attachment:
        line += "\n   📎 " + user_text(event.attachment.get("name") or event.attachment["kind"])
    return line


def timeline_text(
    org: OrgConfig,
    events: Sequence[OrderEventRow],
    people: Mapping[int, MemberRow],
    t: Translator,
) -> str:
    lines = [t("order.timeline.header")]
    lines += [event_line(org, e, people, t) for e in events]
    return "\n".join(lines)


def details_text(
    org: OrgConfig,
    view: OrderView,
    events: Sequence[OrderEventRow],
    people: Mapping[int, MemberRow],
    t: Translator,
) -> str:
    """``/order <number>``: the card with every answer, then the timeline."""
    return f"{card_text(org, view, t)}\n\n{timeline_text(org, events, people, t)}"


def result_text(org: OrgConfig, view: OrderView, action: Action, t: Translator) -> str:
    """The actor's own result: what they did, over the card as it is now."""
    headline = t(f"order.you.{action.value}", number=view.order.id)
    return f"{headline}\n\n{card_text(org, view, t, with_fields=False)}"


def refusal_text(refusal: Refusal, org: OrgConfig, number: int, t: Translator) -> str:
    """Why nothing changed; a stale button says who acted last and when."""
    if refusal.verdict == "stale" and refusal.last is not None:
        last, actor = refusal.last, refusal.last_actor
        return t(
            "order.stale",
            number=number,
            action=t(f"order.action.{last.action}"),
            actor=user_text(actor.full_name) if actor else t("order.actor.system"),
            at=short_time(last.at, org.tz),
            status=t(f"order.status.{refusal.order.status}") if refusal.order else "—",
        )
    if refusal.verdict == "not_allowed":
        return t("order.not_allowed", number=number)
    if refusal.verdict == "bad_assignee":
        return t("order.bad_assignee")
    if refusal.verdict == "note_required":
        return t("order.note_required")
    return t("order.not_found", number=number)


def ask_text(action: str, number: object, t: Translator) -> str:
    """Asking for the reason (reject, reopen) or the deliverable (deliver) of order ``number``."""
    return t(f"order.ask.{action}", number=user_text(str(number)))


def deliver_error_text(problem: str, t: Translator) -> str:
    """Why a delivery cannot be taken: a bad link, or a file too big or of the wrong type."""
    if problem == "bad_link":
        return t("order.deliver_error.bad_link")
    return t(f"order.deliver_error.{problem}", max_mb=MAX_ATTACHMENT_BYTES // (1024 * 1024))


def action_label(action: str, t: Translator) -> str:
    icon = ACTION_ICONS.get(Action(action), "") if action in Action.__members__.values() else ""
    return f"{icon} {t(f'order.button.{action}')}".strip()


def action_keyboard(
    order: OrderRow, actions: Sequence[Action], t: Translator
) -> InlineKeyboardMarkup | None:
    """One button per action the viewer may take now, two per row."""
    buttons = [
        InlineKeyboardButton(
            text=action_label(action, t),
            callback_data=OrderCallback(a=action.value, o=order.id, v=order.version).pack(),
        )
        for action in actions
    ]
    if not buttons:
        return None
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def assignee_keyboard(
    order: OrderRow, people: Sequence[MemberRow], t: Translator
) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=f"👤 {person.full_name}",
                callback_data=OrderCallback(
                    a=ASSIGN_TO, o=order.id, v=order.version, m=person.id
                ).pack(),
            )
        ]
        for person in people
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)
