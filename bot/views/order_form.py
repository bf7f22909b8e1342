"""Texts and keyboards of /order and /orders (rendering only; no decisions here)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Translator
from bot.org.schema import OrderField, OrderType, OrgConfig
from bot.services.order_draft import OrderDraft
from bot.services.order_form import example_for, is_deadline_field
from bot.views.orders import (
    VIEW,
    OrderCallback,
    field_value_text,
    local_text,
    status_text,
    type_name,
)
from storage.models import OrderRequest, Store

MAX_STORE_BUTTONS = 12


class OrderFormCallback(CallbackData, prefix="of"):
    rid: str  # the form run the button belongs to
    action: str  # type | val | back | skip | cancel | submit
    value: str = ""


class OrdersTabCallback(CallbackData, prefix="ol"):
    tab: str
    page: int = 0


def _button(text: str, rid: str, action: str, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=OrderFormCallback(rid=rid, action=action, value=value).pack()
    )


def types_keyboard(rid: str, org: OrgConfig, t: Translator) -> InlineKeyboardMarkup:
    rows = [[_button(ot.name.get(t.locale), rid, "type", ot.code)] for ot in org.order_types]
    rows.append([_button(t("button.cancel"), rid, "cancel")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def question_text(
    draft: OrderDraft,
    org: OrgConfig,
    order_type: OrderType,
    field: OrderField,
    stores: list[Store],
    t: Translator,
) -> str:
    number, total = draft.position(field.key)
    required = t("order.required") if field.required else t("order.optional")
    lines = [
        t(
            "order.question",
            type=escape(order_type.name.get(t.locale)),
            number=number,
            total=total,
            field=escape(field.label.get(t.locale)),
            required=required,
        ),
        t(f"order.hint.{field.type}"),
    ]
    if is_deadline_field(order_type, field) and order_type.sla.lead_time_hours:
        lines.append(t("order.hint.lead_time", hours=f"{order_type.sla.lead_time_hours:g}"))
    if field.key in draft.answers:
        current = field_value_text(org, field, draft.answers[field.key], t)
        lines.append(t("order.hint.current", value=current))
    lines.append(t("order.example", example=escape(example_for(field, stores, t))))
    return "\n".join(lines)


def question_keyboard(
    draft: OrderDraft, field: OrderField, stores: list[Store], t: Translator
) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    if field.type == "choice":
        rows += [
            [_button(choice, draft.rid, "val", str(index))]
            for index, choice in enumerate(field.choices or ())
        ]
    elif field.type == "store":
        rows += [
            [_button(f"{store.code} · {store.name}", draft.rid, "val", str(store.id))]
            for store in stores[:MAX_STORE_BUTTONS]
        ]
    nav = [_button(t("button.back"), draft.rid, "back")]
    if not field.required:
        nav.append(_button(t("button.skip"), draft.rid, "skip"))
    nav.append(_button(t("button.cancel"), draft.rid, "cancel"))
    rows.append(nav)
    return InlineKeyboardMarkup(inline_keyboard=rows)


def summary_text(
    draft: OrderDraft, org: OrgConfig, order_type: OrderType, deadline: str, t: Translator
) -> str:
    department = org.department(order_type.department)
    lines = [
        t(
            "order.summary.header",
            type=escape(order_type.name.get(t.locale)),
            department=escape(department.name.get(t.locale)) if department else "—",
        )
    ]
    for field in order_type.fields:
        value = draft.answers.get(field.key)
        shown = field_value_text(org, field, value, t) if value is not None else t("order.skipped")
        lines.append(f"• {escape(field.label.get(t.locale))}: {shown}")
    lines.append(t("order.summary.deadline", deadline=deadline))
    lines.append(t("order.summary.footer"))
    return "\n".join(lines)


def summary_keyboard(draft: OrderDraft, t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("order.button.submit"), draft.rid, "submit")],
            [
                _button(t("button.back"), draft.rid, "back"),
                _button(t("button.cancel"), draft.rid, "cancel"),
            ],
        ]
    )


# --- /orders -----------------------------------------------------------------------------------


def order_line(org: OrgConfig, order: OrderRequest, t: Translator) -> str:
    deadline = local_text(order.deadline, org.tz) if order.deadline else "—"
    return t(
        "order.list.line",
        number=order.id,
        title=type_name(org, order, t) if order.kind == "order" else escape(order.title),
        status=status_text(order.status, t),
        deadline=deadline,
    )


def list_text(
    org: OrgConfig, tab: str, page: int, orders: Sequence[OrderRequest], t: Translator
) -> str:
    header = t("order.list.header", tab=t(f"order.tab.{tab}"), page=page + 1)
    if not orders:
        return f"{header}\n{t('order.list.empty')}"
    return "\n".join([header, *(order_line(org, o, t) for o in orders)])


def list_keyboard(
    tabs: Sequence[str],
    tab: str,
    page: int,
    has_next: bool,
    orders: Sequence[OrderRequest],
    t: Translator,
) -> InlineKeyboardMarkup:
    tab_row = [
        InlineKeyboardButton(
            text=("• " if name == tab else "") + t(f"order.tab.{name}"),
            callback_data=OrdersTabCallback(tab=name, page=0).pack(),
        )
        for name in tabs
    ]
    rows = [tab_row[i : i + 2] for i in range(0, len(tab_row), 2)]
    open_buttons = [
        InlineKeyboardButton(
            text=f"#{order.id}",
            callback_data=OrderCallback(a=VIEW, o=order.id, v=order.version).pack(),
        )
        for order in orders
    ]
    rows += [open_buttons[i : i + 4] for i in range(0, len(open_buttons), 4)]
    paging = []
    if page > 0:
        paging.append(
            InlineKeyboardButton(
                text="◀️", callback_data=OrdersTabCallback(tab=tab, page=page - 1).pack()
            )
        )
    if has_next:
        paging.append(
            InlineKeyboardButton(
                text="▶️", callback_data=OrdersTabCallback(tab=tab, page=page + 1).pack()
            )
        )
    if paging:
        rows.append(paging)
    return InlineKeyboardMarkup(inline_keyboard=rows)
