"""Texts and keyboards of the /order request form (rendering only; no decisions here)."""

from __future__ import annotations

from html import escape

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Translator
from bot.org.schema import OrderField, OrderType, OrgConfig
from bot.services.order_draft import OrderDraft
from bot.services.order_form import example_for, is_deadline_field
from bot.views.orders import field_value_text
from storage.models import Store

MAX_STORE_BUTTONS = 12


class OrderFormCallback(CallbackData, prefix="of"):
    rid: str  # the form run the button belongs to
    action: str  # type | val | back | skip | cancel | submit
    value: str = ""


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
