"""An order request being filled in: the form's cursor plus the request type it is for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from bot.domain.form_cursor import FormCursor, new_run_id
from bot.org.sections import OrderField, OrderType


@dataclass(kw_only=True)
class OrderDraft(FormCursor[Any]):
    data_key: ClassVar[str] = "order_draft"

    type_code: str

    @classmethod
    def start(cls, order_type: OrderType) -> OrderDraft:
        return cls(
            rid=new_run_id(),
            type_code=order_type.code,
            fields=[f.key for f in order_type.fields],
            required=[f.key for f in order_type.fields if f.required],
        )


def is_deadline_field(order_type: OrderType, field: OrderField) -> bool:
    """The first date field of a request type is its deadline (the SLA lead time applies)."""
    first_date = next((f for f in order_type.fields if f.type == "date"), None)
    return first_date is not None and first_date.key == field.key
