"""Texts and keyboards of the /order request form (rendering only; no decisions here)."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.numbers import examples_for, format_value
from bot.domain.order_dates import EXAMPLES as DATE_EXAMPLES
from bot.domain.order_draft import OrderDraft, is_deadline_field
from bot.domain.records import StoreRow
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.org.sections import OrderField, OrderType
from bot.views.orders import field_value_text
from bot.views.safe import user_text

MAX_STORE_BUTTONS = 12
LINK_EXAMPLE = "https://drive.google.com/abc"


class OrderFormCallback(CallbackData, prefix="of"):
    rid: str  # the form run the button belongs to
    action: str  # type | val | back | skip | cancel | submit
    value: str = ""


def _button(text: str, rid: str, action: str, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=OrderFormCallback(rid=rid, action=action, value=value).pack()
    )


def example_for(field: OrderField, stores: Sequence[StoreRow], t: Translator) -> str:
    """A valid answer for ``field``, shown with its question and with every refusal."""
    if field.type in ("number", "money"):
        if field.type == "number" and field.min is not None:
            return format_value(field.min, "number", t.locale)
        return examples_for("money" if field.type == "money" else "number")[0]
    if field.type == "date":
        return DATE_EXAMPLES[0]
    if field.type == "choice" and field.choices:
        return field.choices[0]
    if field.type == "store":
        return stores[0].code if stores else "HS-SHOPEE"
    if field.type == "link":
        return LINK_EXAMPLE
    if field.type in ("photo", "file"):
        return t(f"order.example.{field.type}")
    return t("order.example.text")


def types_keyboard(rid: str, org: OrgConfig, t: Translator) -> InlineKeyboardMarkup:
    rows = [[_button(ot.name.get(t.locale), rid, "type", ot.code)] for ot in org.order_types]
    rows.append([_button(t("button.cancel"), rid, "cancel")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def question_text(
    draft: OrderDraft,
    org: OrgConfig,
    order_type: OrderType,
    field: OrderField,
    stores: Sequence[StoreRow],
    t: Translator,
) -> str:
    number, total = draft.position(field.key)
    required = t("order.required") if field.required else t("order.optional")
    lines = [
        t(
            "order.question",
            type=user_text(order_type.name.get(t.locale)),
            number=number,
            total=total,
            field=user_text(field.label.get(t.locale)),
            required=required,
        ),
        t(f"order.hint.{field.type}"),
    ]
    if is_deadline_field(order_type, field) and order_type.sla.lead_time_hours:
        lines.append(t("order.hint.lead_time", hours=f"{order_type.sla.lead_time_hours:g}"))
    if field.key in draft.answers:
        current = field_value_text(org, field, draft.answers[field.key], t)
        lines.append(t("order.hint.current", value=current))
    lines.append(t("order.example", example=user_text(example_for(field, stores, t))))
    return "\n".join(lines)


def question_keyboard(
    draft: OrderDraft, field: OrderField, stores: Sequence[StoreRow], t: Translator
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
            type=user_text(order_type.name.get(t.locale)),
            department=user_text(department.name.get(t.locale)) if department else "—",
        )
    ]
    for field in order_type.fields:
        value = draft.answers.get(field.key)
        shown = field_value_text(org, field, value, t) if value is not None else t("order.skipped")
        lines.append(f"• {user_text(field.label.get(t.locale))}: {shown}")
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
