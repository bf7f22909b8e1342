"""Answers of the /order form: read and validate one field, with the org file and the member's
scope. Every refusal comes with a valid example for that field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.numbers import NumberError, format_value, parse_number
from bot.domain.order_dates import DateError, deadline_problem, parse_when
from bot.domain.order_draft import is_deadline_field
from bot.domain.order_fields import (
    MAX_TEXT_LENGTH,
    TOO_LONG,
    Attachment,
    attachment_problem,
    normalize_link,
)
from bot.domain.text_norm import normalize
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.org.sections import OrderField, OrderType
from bot.views.order_form import example_for
from bot.views.safe import user_params, user_text
from storage.models import Store


@dataclass(frozen=True)
class FieldResult:
    value: Any = None
    error: str | None = None  # a full sentence for the member, example included

    @property
    def ok(self) -> bool:
        return self.error is None


def _unit(field: OrderField) -> str:
    return "money" if field.type == "money" else "number"


def _refuse(field: OrderField, reason: str, stores: list[Store], t: Translator) -> FieldResult:
    return FieldResult(
        error=t(
            "order.bad_answer",
            field=user_text(field.label.get(t.locale)),
            reason=reason,
            example=user_text(example_for(field, stores, t)),
        )
    )


def _number(field: OrderField, text: str, stores: list[Store], t: Translator) -> FieldResult:
    unit = _unit(field)
    try:
        value = parse_number(text, unit, maximum=field.max)  # type: ignore[arg-type]
    except NumberError as error:
        reason = t(f"number.{error.message_key}", **user_params(error.params))
        return _refuse(field, reason, stores, t)
    if field.min is not None and value < field.min:
        low = format_value(field.min, unit, t.locale)  # type: ignore[arg-type]
        return _refuse(field, t("order.error.below_min", min=low), stores, t)
    if field.max is not None and value > field.max:
        high = format_value(field.max, unit, t.locale)  # type: ignore[arg-type]
        return _refuse(field, t("order.error.above_max", max=high), stores, t)
    return FieldResult(value)


def _date(
    org: OrgConfig,
    order_type: OrderType,
    field: OrderField,
    text: str,
    now: datetime,
    stores: list[Store],
    t: Translator,
) -> FieldResult:
    today = now.astimezone(org.tz).date()
    try:
        when = parse_when(text, today)
    except DateError as error:
        return _refuse(field, t(f"order.date.{error.message_key}"), stores, t)
    lead = order_type.sla.lead_time_hours if is_deadline_field(order_type, field) else 0
    problem = deadline_problem(when.local(org.tz), now, lead)
    if problem is not None:
        key, earliest = problem
        earliest_text = earliest.astimezone(org.tz).strftime("%H:%M %d/%m") if earliest else ""
        reason = t(f"order.date.{key}", hours=f"{lead:g}", earliest=earliest_text)
        return _refuse(field, reason, stores, t)
    return FieldResult(when.to_text())


def _store(field: OrderField, text: str, stores: list[Store], t: Translator) -> FieldResult:
    wanted = normalize(text)
    for store in stores:
        if wanted in (normalize(store.code), normalize(store.name)):
            return FieldResult({"id": store.id, "code": store.code})
    reason = t("order.error.unknown_store", code=user_text(text.strip(), 40))
    return _refuse(field, reason, stores, t)


def _choice(field: OrderField, text: str, stores: list[Store], t: Translator) -> FieldResult:
    wanted = normalize(text)
    for choice in field.choices or ():
        if normalize(choice) == wanted:
            return FieldResult(choice)
    return _refuse(field, t("order.error.not_a_choice"), stores, t)


def read_text_answer(
    org: OrgConfig,
    order_type: OrderType,
    field: OrderField,
    text: str,
    *,
    now: datetime,
    stores: list[Store],
    t: Translator,
) -> FieldResult:
    """A typed answer for ``field``: its value, or a refusal with an example."""
    text = text.strip()
    if field.type in ("number", "money"):
        return _number(field, text, stores, t)
    if field.type == "date":
        return _date(org, order_type, field, text, now, stores, t)
    if field.type == "store":
        return _store(field, text, stores, t)
    if field.type == "choice":
        return _choice(field, text, stores, t)
    if field.type == "link":
        link = normalize_link(text)
        return FieldResult(link) if link else _refuse(field, t("order.error.bad_link"), stores, t)
    if field.type in ("photo", "file"):
        return _refuse(field, t(f"order.error.send_{field.type}"), stores, t)
    if not text:
        return _refuse(field, t("order.error.empty"), stores, t)
    if len(text) > MAX_TEXT_LENGTH:
        return _refuse(field, t(f"order.error.{TOO_LONG}", max=MAX_TEXT_LENGTH), stores, t)
    return FieldResult(text)


def read_attachment(
    field: OrderField, attachment: Attachment, stores: list[Store], t: Translator
) -> FieldResult:
    if field.type not in ("photo", "file"):
        return _refuse(field, t("order.error.no_file_here"), stores, t)
    problem = attachment_problem(field.type, attachment)
    if problem is not None:
        return _refuse(field, t(f"order.error.{problem}", max_mb=20), stores, t)
    return FieldResult(attachment.to_json())
