"""Order lines and daily-total rows to numbers per business day, on the fly.

Order exports have one row per order *line*; order-level columns (creation time, status,
amount) repeat on each line of an order and count once. Only per-order state is kept:
the creation day (or the unresolved text date), the amount, two flags and the first row.

Per business day of the order's creation time:
- ``orders``: distinct order ids (all statuses);
- ``cancelled``: distinct orders with a cancellation status (or TikTok's return type
  ``Cancel``);
- ``returned``: distinct orders, not cancelled, with a return/refund status or type;
- ``gmv``: the sum of the order amount over distinct orders;
- ``nmv``: ``gmv`` less the amounts of cancelled and returned orders.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, tzinfo
from typing import Any

from bot.marketplace import model
from bot.marketplace.dates import DateOrders, When, read_when, resolve
from bot.marketplace.formats import VALUE_ROLE, FormatSpec
from bot.marketplace.model import BadRow
from bot.marketplace.text import cell_text, folded, parse_number

_NO_RETURN = frozenset({"", "-", "--", "none", "null", "n/a", "khong", "0"})


def _cell(values: Sequence[Any], index: int | None) -> Any:
    if index is None or index >= len(values):
        return None
    value = values[index]
    return value.strip() if isinstance(value, str) else value


class _Order:
    __slots__ = ("amount", "cancelled", "returned", "row", "when")

    def __init__(self, when: When, amount: float, row: int) -> None:
        self.when = when
        self.amount = amount
        self.row = row
        self.cancelled = False
        self.returned = False


@dataclass
class Totals:
    """What an aggregator hands back once the file is read."""

    days: dict[date, dict[str, float]]
    bad_rows: list[BadRow]
    date_order: model.DateOrder | None
    store: str | None


@dataclass
class _Reader:
    spec: FormatSpec
    columns: Mapping[str, int]
    tz: tzinfo
    bad_rows: list[BadRow] = field(default_factory=list)
    dates: DateOrders = field(default_factory=DateOrders)
    store: str | None = None

    def _bad(self, row: int, reason: str) -> None:
        self.bad_rows.append(BadRow(row, reason))

    def _note_store(self, values: Sequence[Any], row: int) -> bool:
        """Keep the file's store; False (and a bad row) when a row names another one."""
        code = cell_text(_cell(values, self.columns.get("store")))
        if not code:
            return True
        if self.store is None:
            self.store = code
        elif code.casefold() != self.store.casefold():
            self._bad(row, model.OTHER_STORE)
            return False
        return True

    def is_description(self, values: Sequence[Any]) -> bool:
        """The row under the header that describes each column (TikTok's exports): text where
        the date and the first number column are, neither readable (else it is a bad row)."""
        number_role = "amount" if "amount" in self.columns else None
        number_role = number_role or next(r for r in self.columns if r.startswith(VALUE_ROLE))
        when = _cell(values, self.columns.get("created", self.columns.get("date")))
        number = _cell(values, self.columns[number_role])
        return (
            isinstance(when, str)
            and isinstance(number, str)
            and bool(when and number)
            and read_when(when, self.tz, DateOrders()) is None
            and parse_number(number) is None
        )


class OrderReader(_Reader):
    def __init__(self, spec: FormatSpec, columns: Mapping[str, int], tz: tzinfo) -> None:
        super().__init__(spec, columns, tz)
        self._orders: dict[str, _Order] = {}
        self._status_cache: dict[str, tuple[bool, bool]] = {}
        self._return_cache: dict[str, tuple[bool, bool]] = {}
        self._cancelled = {folded(s) for s in spec.cancelled_statuses}
        self._returned = {folded(s) for s in spec.returned_statuses}
        self._return_cancel = {folded(s) for s in spec.return_cancel_values}
        self._id = columns["order_id"]
        self._status = columns.get("status")
        self._return = columns.get("return_status")

    def _status_flags(self, value: Any) -> tuple[bool, bool]:
        text = cell_text(value)
        flags = self._status_cache.get(text)
        if flags is None:
            key = folded(text)
            flags = (key in self._cancelled, key in self._returned)
            self._status_cache[text] = flags
        return flags

    def _return_flags(self, value: Any) -> tuple[bool, bool]:
        text = cell_text(value)
        flags = self._return_cache.get(text)
        if flags is None:
            key = folded(text)
            cancel = key in self._return_cancel
            flags = (cancel, not cancel and key not in _NO_RETURN)
            self._return_cache[text] = flags
        return flags

    def add(self, row: int, values: Sequence[Any]) -> None:
        order_id = cell_text(_cell(values, self._id))
        if not order_id:
            self._bad(row, model.MISSING_ORDER_ID)
            return
        order = self._orders.get(order_id)
        if order is None:
            when = read_when(_cell(values, self.columns["created"]), self.tz, self.dates)
            if when is None:
                self._bad(row, model.BAD_DATE)
                return
            amount = parse_number(_cell(values, self.columns["amount"]))
            if amount is None:
                self._bad(row, model.BAD_AMOUNT)
                return
            if not self._note_store(values, row):
                return
            order = self._orders[order_id] = _Order(when, amount, row)
        if self._status is not None:
            cancelled, returned = self._status_flags(_cell(values, self._status))
            order.cancelled |= cancelled
            order.returned |= returned
        if self._return is not None:
            cancelled, returned = self._return_flags(_cell(values, self._return))
            order.cancelled |= cancelled
            order.returned |= returned

    def finish(self) -> Totals:
        order = self.dates.decide()
        days: dict[date, dict[str, float]] = {}
        for item in self._orders.values():
            day = resolve(item.when, order, self.tz)
            if day is None:
                self._bad(item.row, model.BAD_DATE)
                continue
            values = days.get(day)
            if values is None:
                values = days[day] = dict.fromkeys(
                    ("orders", "cancelled", "returned", "gmv", "nmv"), 0.0
                )
            values["orders"] += 1
            values["gmv"] += item.amount
            if item.cancelled:
                values["cancelled"] += 1
            elif item.returned:
                values["returned"] += 1
            else:
                values["nmv"] += item.amount
        self.bad_rows.sort(key=lambda bad: bad.row)
        return Totals(days, self.bad_rows, order, self.store)


class TotalsReader(_Reader):
    """A generic file with one row per day: each metric's value in its own column."""

    def __init__(self, spec: FormatSpec, columns: Mapping[str, int], tz: tzinfo) -> None:
        super().__init__(spec, columns, tz)
        self._rows: list[tuple[When, dict[str, float], int]] = []
        self._metrics = {
            role[len(VALUE_ROLE) :]: index
            for role, index in columns.items()
            if role.startswith(VALUE_ROLE)
        }

    def add(self, row: int, values: Sequence[Any]) -> None:
        when = read_when(_cell(values, self.columns["date"]), self.tz, self.dates)
        if when is None:
            self._bad(row, model.BAD_DATE)
            return
        numbers: dict[str, float] = {}
        for key, index in self._metrics.items():
            cell = _cell(values, index)
            if cell is None or cell == "":
                continue
            number = parse_number(cell)
            if number is None:
                self._bad(row, model.BAD_AMOUNT)
                return
            numbers[key] = number
        if self._note_store(values, row):
            self._rows.append((when, numbers, row))

    def finish(self) -> Totals:
        order = self.dates.decide()
        days: dict[date, dict[str, float]] = {}
        for when, numbers, row in self._rows:
            day = resolve(when, order, self.tz)
            if day is None:
                self._bad(row, model.BAD_DATE)
            elif day in days:
                self._bad(row, model.DUPLICATE_DAY)
            elif numbers:
                days[day] = numbers
        self.bad_rows.sort(key=lambda bad: bad.row)
        return Totals(days, self.bad_rows, order, self.store)
