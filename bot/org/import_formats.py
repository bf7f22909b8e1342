"""Declared export formats and header aliases (the org file's ``sources.formats``).

The bot reads Shopee (Vietnamese and English) and TikTok Shop order exports by itself
(``bot.marketplace``). This section adapts it to an organisation:

```yaml
sources:
  formats:
    aliases:                      # more header names for a column of a built-in format
      shopee_vn:
        amount: ["Tổng tiền đơn hàng (VND)"]
    metrics:                      # the org's metric key for what a built-in format produces
      tiktok: { returned: null }  # null: do not import that number
    cancelled_statuses: [Hủy bởi hệ thống]   # more statuses read as a cancellation
    declared:                     # exports the bot has no built-in reader for
      - name: kiotviet
        platform: pos
        kind: orders              # one row per order (or order line)
        columns: { order_id: Mã hóa đơn, created: Thời gian, amount: Tổng tiền hàng,
                   status: Trạng thái }
        cancelled_statuses: [Đã hủy]
      - name: pos_daily
        platform: pos
        kind: daily_totals        # one row per day (and store)
        columns: { date: Ngày, store: Mã cửa hàng }
        values: { gmv: Doanh thu, orders: Số hóa đơn }
```

An order export produces ``orders``, ``cancelled``, ``returned``, ``gmv`` and ``nmv`` per day
(``PRODUCED_METRICS``); ``metrics`` renames them to the org's keys or drops them. By default a
produced number whose key the org does not define is left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from bot.org.fields import MetricKey, Platform, Strict

BuiltinFormat = Literal["shopee_vn", "shopee_en", "tiktok"]
BUILTIN_FORMATS: tuple[BuiltinFormat, ...] = ("shopee_vn", "shopee_en", "tiktok")
# What an order export yields per day, under these keys unless the org file maps them.
ProducedMetric = Literal["orders", "cancelled", "returned", "gmv", "nmv"]
PRODUCED_METRICS: tuple[ProducedMetric, ...] = ("orders", "cancelled", "returned", "gmv", "nmv")
DEFAULT_CANCELLED_STATUSES: tuple[str, ...] = ("Đã hủy", "Cancelled", "Canceled")

Header = Annotated[str, Field(min_length=1, max_length=200)]
FormatName = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9_]{0,31}$",
        description="lowercase letters, digits and '_', e.g. kiotviet",
    ),
]


class MetricMap(Strict):
    """The org's metric key for each number an order export produces; ``null`` drops it. A
    number not mentioned keeps its key, and is left out when the org has no such metric."""

    orders: MetricKey | None = "orders"
    cancelled: MetricKey | None = "cancelled"
    returned: MetricKey | None = "returned"
    gmv: MetricKey | None = "gmv"
    nmv: MetricKey | None = "nmv"

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        targets = [getattr(self, name) for name in PRODUCED_METRICS]
        twice = sorted({k for k in targets if k is not None and targets.count(k) > 1})
        if twice:
            raise ValueError(f"two numbers are mapped to the same metric: {', '.join(twice)}")
        return self

    def given(self) -> dict[str, str | None]:
        """Only the numbers the org file maps explicitly."""
        return {
            name: getattr(self, name) for name in PRODUCED_METRICS if name in self.model_fields_set
        }


class ColumnAliases(Strict):
    """More header names for the columns of a built-in format."""

    order_id: tuple[Header, ...] = ()
    created: tuple[Header, ...] = ()
    status: tuple[Header, ...] = ()
    return_status: tuple[Header, ...] = ()
    amount: tuple[Header, ...] = ()


class BuiltinAliases(Strict):
    shopee_vn: ColumnAliases = ColumnAliases()
    shopee_en: ColumnAliases = ColumnAliases()
    tiktok: ColumnAliases = ColumnAliases()


class BuiltinMetrics(Strict):
    shopee_vn: MetricMap = MetricMap()
    shopee_en: MetricMap = MetricMap()
    tiktok: MetricMap = MetricMap()


_ORDER_COLUMNS = ("order_id", "created", "amount", "status", "return_status")


class DeclaredColumns(Strict):
    """Header names of the columns of a declared format.

    ``orders``: ``order_id``, ``created`` (the creation time or date) and ``amount`` (the
    order-level amount, repeated on each line) are needed; ``status`` and ``return_status`` (a
    non-empty value means a return or refund) are optional. ``daily_totals``: ``date``. Both
    may name a ``store`` column holding the store code.
    """

    order_id: Header | None = None
    created: Header | None = None
    amount: Header | None = None
    status: Header | None = None
    return_status: Header | None = None
    date: Header | None = None
    store: Header | None = None


class DeclaredFormat(Strict):
    """An export the bot has no built-in reader for: one row per order (or order line), or
    one row per day (and store) with each metric in a column (``values``)."""

    name: FormatName
    platform: Platform
    kind: Literal["orders", "daily_totals"]
    columns: DeclaredColumns
    values: Mapping[MetricKey, Header] = Field(default_factory=dict)
    cancelled_statuses: tuple[Header, ...] = DEFAULT_CANCELLED_STATUSES
    returned_statuses: tuple[Header, ...] = ()
    metrics: MetricMap = MetricMap()

    @model_validator(mode="after")
    def _fits_kind(self) -> Self:
        columns = self.columns
        if self.kind == "daily_totals":
            extra = [c for c in _ORDER_COLUMNS if getattr(columns, c) is not None]
            extra += [f for f in ("cancelled_statuses", "returned_statuses", "metrics")
                      if f in self.model_fields_set]  # fmt: skip
            if extra:
                raise ValueError(f"daily_totals takes no {', '.join(extra)} (orders only)")
            if columns.date is None or not self.values:
                raise ValueError("daily_totals needs columns.date and values (metric: header)")
            return self
        missing = [c for c in ("order_id", "created", "amount") if getattr(columns, c) is None]
        if missing:
            raise ValueError(f"orders needs columns.{', columns.'.join(missing)}")
        if columns.date is not None or self.values:
            raise ValueError("orders takes no columns.date or values (daily_totals only)")
        given = self.returned_statuses or "cancelled_statuses" in self.model_fields_set
        if given and columns.status is None:
            raise ValueError("statuses are given but columns has no status column")
        return self


class ImportFormats(Strict):
    declared: tuple[DeclaredFormat, ...] = ()
    aliases: BuiltinAliases = BuiltinAliases()
    metrics: BuiltinMetrics = BuiltinMetrics()
    cancelled_statuses: tuple[Header, ...] = Field(
        default=(), description="statuses read as a cancellation besides the built-in ones"
    )
    returned_statuses: tuple[Header, ...] = Field(
        default=(), description="order statuses read as a return besides a return column"
    )

    @model_validator(mode="after")
    def _check(self) -> Self:
        names = [f.name for f in self.declared]
        clash = sorted({n for n in names if names.count(n) > 1 or n in BUILTIN_FORMATS})
        if clash:
            raise ValueError(
                f"format names must be unique and differ from the built-in ones "
                f"({', '.join(BUILTIN_FORMATS)}): {', '.join(clash)}"
            )
        return self

    def declared_format(self, name: str) -> DeclaredFormat | None:
        return next((f for f in self.declared if f.name == name), None)
