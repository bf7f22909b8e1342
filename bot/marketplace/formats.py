"""The formats the bot knows, and finding one from a header row.

A format names the columns it reads (``roles``: each with the header names it accepts, the
first being the one shown in messages) and other headers of the real export that only help
to recognise it (``known``). Declared formats and header aliases come from the org file's
``sources.formats`` (``bot.org.import_formats``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from bot.marketplace.text import caseless, cell_text, exact, folded
from bot.org.import_formats import (
    DEFAULT_CANCELLED_STATUSES,
    PRODUCED_METRICS,
    ColumnAliases,
    DeclaredFormat,
    ImportFormats,
)
from bot.org.schema import OrgConfig

Kind = Literal["orders", "daily_totals"]
VALUE_ROLE = "value:"  # daily totals: the role of the column of metric <key> is "value:<key>"


@dataclass(frozen=True)
class FormatSpec:
    name: str
    platform: str
    kind: Kind
    roles: Mapping[str, tuple[str, ...]]  # role -> accepted header names, the shown one first
    required: tuple[str, ...]
    known: tuple[str, ...] = ()  # more headers of the real export (recognition only)
    cancelled_statuses: tuple[str, ...] = DEFAULT_CANCELLED_STATUSES
    returned_statuses: tuple[str, ...] = ()
    # Values of the return column that mean a cancellation, not a return (TikTok's "Cancel").
    return_cancel_values: tuple[str, ...] = ()
    metrics: Mapping[str, str | None] = field(default_factory=dict)  # produced -> org key

    def header_names(self) -> set[str]:
        names = {folded(n) for names in self.roles.values() for n in names}
        return names | {folded(n) for n in self.known}


SHOPEE_VN = FormatSpec(
    name="shopee_vn",
    platform="shopee",
    kind="orders",
    roles={
        "order_id": ("Mã đơn hàng",),
        "created": ("Ngày đặt hàng",),
        "status": ("Trạng Thái Đơn Hàng", "Tình trạng đơn hàng"),
        "return_status": ("Trạng thái Trả hàng/Hoàn tiền",),
        "amount": ("Tổng giá trị đơn hàng (VND)", "Tiền đơn hàng (VND)"),
    },
    required=("order_id", "created", "status", "return_status", "amount"),
    known=(
        "Mã Kiện Hàng",
        "SKU sản phẩm",
        "Tên sản phẩm",
        "SKU phân loại hàng",
        "Số lượng",
        "Giá gốc",
        "Giá ưu đãi",
        "Tổng số tiền người mua thanh toán",
        "Mã vận đơn",
        "Đơn Vị Vận Chuyển",
        "Người Mua",
        "Lý do hủy",
    ),
    returned_statuses=("Trả hàng/Hoàn tiền",),
)
SHOPEE_EN = FormatSpec(
    name="shopee_en",
    platform="shopee",
    kind="orders",
    roles={
        "order_id": ("Order ID",),
        "created": ("Order Creation Date",),
        "status": ("Order Status",),
        "return_status": ("Return / Refund Status",),
        "amount": ("Total Amount",),
    },
    required=("order_id", "created", "status", "return_status", "amount"),
    known=(
        "Package ID",
        "Cancel reason",
        "Tracking Number*",
        "SKU Reference No.",
        "Parent SKU Reference No.",
        "Product Name",
        "Deal Price",
        "Quantity",
        "Product Subtotal",
        "Grand Total",
        "Username (Buyer)",
        "Order Paid Time",
    ),
    returned_statuses=("Return/Refund", "Return / Refund"),
)
TIKTOK = FormatSpec(
    name="tiktok",
    platform="tiktok",
    kind="orders",
    roles={
        "order_id": ("Order ID",),
        "created": ("Created Time",),
        "status": ("Order Status",),
        "return_status": ("Cancelation/Return Type", "Cancellation/Return Type"),
        "amount": ("Order Amount",),
    },
    required=("order_id", "created", "status", "return_status", "amount"),
    known=(
        "Order Substatus",
        "SKU ID",
        "Seller SKU",
        "Product Name",
        "Quantity",
        "SKU Subtotal After Discount",
        "Order Refund Amount",
        "Paid Time",
        "Cancelled Time",
        "Cancel By",
        "Tracking ID",
        "Buyer Username",
    ),
    return_cancel_values=("Cancel", "Cancellation"),
)
BUILTIN_SPECS = (SHOPEE_VN, SHOPEE_EN, TIKTOK)


def _declared_spec(declared: DeclaredFormat) -> FormatSpec:
    columns = declared.columns.model_dump(exclude_none=True)
    roles = {role: (header,) for role, header in columns.items()}
    if declared.kind == "daily_totals":
        roles |= {VALUE_ROLE + key: (header,) for key, header in declared.values.items()}
        required = ("date", *(VALUE_ROLE + key for key in declared.values))
    else:
        required = tuple(role for role in columns if role != "store")
    return FormatSpec(
        name=declared.name,
        platform=declared.platform,
        kind=declared.kind,
        roles=roles,
        required=required,
        cancelled_statuses=declared.cancelled_statuses,
        returned_statuses=declared.returned_statuses,
        metrics=declared.metrics.given(),
    )


def _with_org(spec: FormatSpec, settings: ImportFormats) -> FormatSpec:
    aliases: ColumnAliases = getattr(settings.aliases, spec.name)
    roles = {role: names + getattr(aliases, role, ()) for role, names in spec.roles.items()}
    return FormatSpec(
        name=spec.name,
        platform=spec.platform,
        kind=spec.kind,
        roles=roles,
        required=spec.required,
        known=spec.known,
        cancelled_statuses=spec.cancelled_statuses + settings.cancelled_statuses,
        returned_statuses=spec.returned_statuses + settings.returned_statuses,
        return_cancel_values=spec.return_cancel_values,
        metrics=getattr(settings.metrics, spec.name).given(),
    )


def org_specs(org: OrgConfig) -> tuple[FormatSpec, ...]:
    settings = org.sources.formats
    builtins = tuple(_with_org(spec, settings) for spec in BUILTIN_SPECS)
    return builtins + tuple(_declared_spec(d) for d in settings.declared)


def metric_keys(spec: FormatSpec, org: OrgConfig) -> dict[str, str]:
    """Produced number -> org metric key. Unmapped numbers keep their key if the org has it."""
    keys: dict[str, str] = {}
    for produced in PRODUCED_METRICS:
        if produced in spec.metrics:
            target = spec.metrics[produced]
            if target is not None:
                keys[produced] = target
        elif org.metric(produced) is not None:
            keys[produced] = produced
    return keys


# --- the header row ------------------------------------------------------------------------

_TIERS: tuple[Callable[[str], str], ...] = (exact, caseless, folded)


@dataclass(frozen=True)
class Match:
    spec: FormatSpec
    columns: Mapping[str, int]  # role -> column index
    score: int  # headers of the format found in the row

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(role for role in self.spec.required if role not in self.columns)


def bind(spec: FormatSpec, headers: Sequence[str]) -> Match:
    """Each role to one column: exact names first, then caseless, then without accents; a
    column serves one role only (so capitalisation twins each bind to exactly one name)."""
    columns: dict[str, int] = {}
    taken: set[int] = set()
    for tier in _TIERS:
        keyed = [tier(h) if h else "" for h in headers]
        for role, names in spec.roles.items():
            if role in columns:
                continue
            for name in names:
                wanted = tier(name)
                index = next(
                    (i for i, h in enumerate(keyed) if h == wanted and i not in taken), None
                )
                if index is not None:
                    columns[role] = index
                    taken.add(index)
                    break
    present = {folded(h) for h in headers if h}
    return Match(spec, columns, len(spec.header_names() & present))


def detect(specs: Sequence[FormatSpec], row: Sequence[object]) -> Match | None:
    """The best format for a header row, or None if the row is not a known header."""
    headers = [cell_text(value) for value in row]
    if sum(1 for h in headers if h) < 2:
        return None
    best: Match | None = None
    for spec in specs:
        match = bind(spec, headers)
        needed = min(3, len(spec.required))
        if match.score < needed:
            continue
        rank = (match.score, not match.missing)
        if best is None or rank > (best.score, not best.missing):
            best = match
    return best


def expected_header(spec: FormatSpec) -> str:
    return ", ".join(spec.roles[role][0] for role in spec.required)
