"""Marketplace order exports for tests, the demo and the bench, in their real layouts.

Give a list of order lines; get the file plus the totals per business day computed here,
independently of ``bot.marketplace``::

    lines = [
        Line("2611300A1", datetime(2026, 11, 30, 23, 55), 250_000),
        Line("2611300A1", datetime(2026, 11, 30, 23, 55), 250_000, sku="SKU-B"),  # 2nd line
        Line("2611300B2", datetime(2026, 12, 1, 0, 5), 90_000, status="cancelled"),
        Line("2611300C3", datetime(2026, 12, 1, 9, 0), 120_000, returned=True),
    ]
    export = write_shopee_vn(tmp_path / "Order.all.xlsx", lines)
    export.expected[date(2026, 11, 30)]  # {"orders": 1, "cancelled": 0, ..., "gmv": 250000}

Writers: ``write_shopee_vn`` (``old=True``: the older headers; ``twins=True``: extra columns
differing only by capitalisation, holding misleading values), ``write_shopee_en``,
``write_tiktok`` (``.xlsx`` or ``.csv`` by the path's suffix, with TikTok's description row and
its tab-suffixed CSV cells). ``dates`` picks how creation times are written: ``"excel"``
(date cells), ``"iso"`` (``2026-11-30 14:05``), ``"iso_utc"`` (``2026-11-30T07:05:00Z``),
``"day_first"`` (``30/11/2026 14:05:33``) or ``"month_first"`` (``11/30/2026 2:05:33 PM``).
``nfd=True`` writes the headers decomposed (NFD), as some Mac tools do.
``order_lines`` makes a large random month of lines (the bench, the demo); ``write_table``
writes any rows (declared generic formats).

Naive ``Line.created`` values are local times of the org timezone (``tz``); aware ones are
converted to it, since exports show local times.

Rules of ``expected`` (the issue's): orders = distinct ids; cancelled = distinct cancelled
orders; returned = distinct returned orders that are not cancelled; gmv = the order amounts;
nmv = gmv less the amounts of cancelled and returned orders.
"""

from __future__ import annotations

import csv
import itertools
import random
import shutil
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from bot.demo.shopee_export import HEADER as SHOPEE_EXPORT_HEADER

VN = ZoneInfo("Asia/Ho_Chi_Minh")
UTC = ZoneInfo("UTC")
Status = Literal["done", "shipping", "cancelled"]
DateLayout = Literal["excel", "iso", "iso_utc", "day_first", "month_first"]
METRICS = ("orders", "cancelled", "returned", "gmv", "nmv")


@dataclass(frozen=True)
class Line:
    order: str  # order id
    created: datetime  # naive: local time of the org; aware: converted to it
    amount: float  # the order's total, repeated on each of its lines
    status: Status = "done"
    returned: bool = False  # a return/refund was requested for the order
    sku: str = "SKU-A"
    quantity: int = 1


@dataclass(frozen=True)
class Export:
    path: Path
    expected: dict[date, dict[str, float]]  # business day -> metric -> value
    lines: int  # data rows written


def local_time(moment: datetime, tz: ZoneInfo = VN) -> datetime:
    return moment.astimezone(tz).replace(tzinfo=None) if moment.tzinfo else moment


def expected_totals(lines: Iterable[Line], tz: ZoneInfo = VN) -> dict[date, dict[str, float]]:
    first: dict[str, Line] = {}
    flags: dict[str, tuple[bool, bool]] = {}
    for line in lines:
        first.setdefault(line.order, line)
        cancelled, returned = flags.get(line.order, (False, False))
        flags[line.order] = (cancelled or line.status == "cancelled", returned or line.returned)
    totals: dict[date, dict[str, float]] = {}
    for order, line in first.items():
        day = local_time(line.created, tz).date()
        values = totals.setdefault(day, dict.fromkeys(METRICS, 0.0))
        cancelled, returned = flags[order]
        values["orders"] += 1
        values["gmv"] += line.amount
        if cancelled:
            values["cancelled"] += 1
        elif returned:
            values["returned"] += 1
        else:
            values["nmv"] += line.amount
    return totals


def format_time(moment: datetime, layout: DateLayout, tz: ZoneInfo = VN) -> object:
    local = local_time(moment, tz)
    if layout == "excel":
        return local
    if layout == "iso":
        return local.strftime("%Y-%m-%d %H:%M")
    if layout == "iso_utc":
        return local.replace(tzinfo=tz).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if layout == "day_first":
        return local.strftime("%d/%m/%Y %H:%M:%S")
    hour = local.hour % 12 or 12
    return f"{local:%m/%d/%Y} {hour}:{local:%M:%S} {'PM' if local.hour >= 12 else 'AM'}"


# --- the layouts ------------------------------------------------------------------------------

Cells = Callable[[Line, object], dict[str, object]]  # a line and its formatted time -> cells

SHOPEE_VN_HEADER = SHOPEE_EXPORT_HEADER  # the real layout, as the demo writes it too
SHOPEE_VN_OLD = {
    "Trạng Thái Đơn Hàng": "Tình trạng đơn hàng",
    "Tổng giá trị đơn hàng (VND)": "Tiền đơn hàng (VND)",
}
# Columns whose header differs from a real one only by capitalisation, with misleading values.
SHOPEE_VN_TWINS = {"Trạng Thái Đơn Hàng": "Trạng thái đơn hàng", "Mã đơn hàng": "Mã Đơn Hàng"}

SHOPEE_EN_HEADER = (
    "Order ID", "Package ID", "Order Creation Date", "Order Status", "Cancel reason",
    "Return / Refund Status", "Tracking Number*", "Shipping Option", "Shipment Method",
    "Estimated Ship Out Date", "Ship Time", "Order Paid Time", "Parent SKU Reference No.",
    "Product Name", "SKU Reference No.", "Variation Name", "Original Price", "Deal Price",
    "Quantity", "Returned quantity", "Product Subtotal", "Total Discount",
    "Price Discount(from Seller)", "Shopee Rebate", "SKU Total Weight",
    "Number of product in order", "Order Total Weight", "Seller Voucher",
    "Seller Absorbed Coin Cashback", "Shopee Voucher", "Bundle Deals Indicator(Y/N)",
    "Shopee Bundle Discount", "Seller Bundle Discount", "Shopee Coins Offset",
    "Credit Card Discount Total", "Products' Price Paid by Buyer", "Buyer Paid Shipping Fee",
    "Shipping Rebate Estimate", "Reverse Shipping Fee", "Service Fee", "Total Amount",
    "Grand Total", "Estimated Shipping Fee", "Username (Buyer)", "Receiver Name",
    "Phone Number", "Delivery Address", "Town", "District", "Province", "Country", "Zip Code",
    "Remark from buyer", "Order Complete Time", "Note",
)  # fmt: skip

TIKTOK_HEADER = (
    "Order ID", "Order Status", "Order Substatus", "Cancelation/Return Type",
    "Normal or Pre-order", "SKU ID", "Seller SKU", "Product Name", "Variation", "Quantity",
    "Sku Quantity of return", "SKU Unit Original Price", "SKU Subtotal Before Discount",
    "SKU Platform Discount", "SKU Seller Discount", "SKU Subtotal After Discount",
    "Shipping Fee After Discount", "Original Shipping Fee", "Shipping Fee Seller Discount",
    "Shipping Fee Platform Discount", "Payment platform discount", "Taxes", "Small Order Fee",
    "Order Amount", "Order Refund Amount", "Created Time", "Paid Time", "RTS Time",
    "Shipped Time", "Delivered Time", "Cancelled Time", "Cancel By", "Cancel Reason",
    "Fulfillment Type", "Warehouse Name", "Tracking ID", "Delivery Option",
    "Shipping Provider Name", "Buyer Message", "Buyer Username", "Recipient", "Phone #",
    "Zipcode", "Country", "Province", "District", "Commune", "Detail Address",
    "Additional address information", "Payment Method", "Weight(kg)", "Product Category",
    "Package ID", "Seller Note", "Checked Status", "Checked Marked by",
)  # fmt: skip


def _description(header: str) -> str:
    return {
        "Order ID": "Platform unique order ID.",
        "Created Time": "The time the buyer placed the order.",
        "Order Amount": "Total order amount paid by the buyer.",
    }.get(header, f"{header} of the order.")


def _shopee_vn_cells(line: Line, when: object) -> dict[str, object]:
    status = {"done": "Hoàn thành", "shipping": "Đang giao", "cancelled": "Đã hủy"}[line.status]
    return {
        "Mã đơn hàng": line.order,
        "Ngày đặt hàng": when,
        "Trạng Thái Đơn Hàng": status,
        "Lý do hủy": "Người mua hủy" if line.status == "cancelled" else "",
        "Trạng thái Trả hàng/Hoàn tiền": "Đã Chấp Thuận Yêu Cầu" if line.returned else "",
        "SKU sản phẩm": line.sku,
        "Tên sản phẩm": f"Sản phẩm {line.sku}",
        "Số lượng": line.quantity,
        "Tổng giá trị đơn hàng (VND)": line.amount,
        "Tổng số tiền người mua thanh toán": line.amount + 15_000,
        "Đơn Vị Vận Chuyển": "SPX Express",
        "Quốc gia": "VN",
        # The rest, filled as in a real export (the reader must skip them quickly).
        "Mã Kiện Hàng": f"OFG{line.order}",
        "Mã vận đơn": f"SPXVN0{line.order}",
        "Phương thức giao hàng": "Nhanh",
        "Loại đơn hàng": "Đơn thường",
        "Tên phân loại hàng": "Màu đỏ, 50ml",
        "SKU phân loại hàng": f"{line.sku}-RED-50",
        "Cân nặng sản phẩm": "200 gr",
        "Giá gốc": line.amount / 2 + 20_000,
        "Giá ưu đãi": line.amount / 2,
        "Tổng giá bán (sản phẩm)": line.amount / 2 * line.quantity,
        "Phí vận chuyển mà người mua trả": 15_000,
        "Phương thức thanh toán": "Thanh toán khi nhận hàng",
        "Phí cố định": 3_000,
        "Phí Dịch Vụ": 2_500,
        "Phí thanh toán": 1_200,
        "Người Mua": f"buyer{line.order[-4:]}",
        "Tên Người nhận": "Nguyễn Văn An",
        "Số điện thoại": "******789",
        "Tỉnh/Thành phố": "TP. Hồ Chí Minh",
        "TP / Quận / Huyện": "Quận 1",
        "Quận": "Phường Bến Nghé",
        "Địa chỉ nhận hàng": "12 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh",
    }


def _shopee_en_cells(line: Line, when: object) -> dict[str, object]:
    status = {"done": "Completed", "shipping": "Shipping", "cancelled": "Cancelled"}[line.status]
    return {
        "Order ID": line.order,
        "Order Creation Date": when,
        "Order Status": status,
        "Return / Refund Status": "Approved" if line.returned else "",
        "SKU Reference No.": line.sku,
        "Quantity": line.quantity,
        "Total Amount": line.amount,
        "Grand Total": line.amount + 15_000,
        "Country": "VN",
    }


def _tiktok_cells(line: Line, when: object) -> dict[str, object]:
    status = {"done": "Completed", "shipping": "Shipped", "cancelled": "Cancelled"}[line.status]
    kind = "Cancel" if line.status == "cancelled" else "Return/Refund" if line.returned else ""
    return {
        "Order ID": line.order,
        "Order Status": status,
        "Order Substatus": status,
        "Cancelation/Return Type": kind,
        "Seller SKU": line.sku,
        "Quantity": line.quantity,
        "SKU Subtotal After Discount": line.amount / 2,
        "Order Amount": line.amount,
        "Order Refund Amount": line.amount if line.returned else 0,
        "Created Time": when,
        "Cancelled Time": when if line.status == "cancelled" else "",
        "Country": "Vietnam",
    }


def _write(
    path: Path,
    header: Sequence[str],
    lines: Sequence[Line],
    cells: Cells,
    *,
    dates: DateLayout,
    tz: ZoneInfo,
    nfd: bool = False,
    rename: dict[str, str] | None = None,
    twins: dict[str, str] | None = None,
    description: bool = False,
    tab_suffix: bool = False,
) -> Export:
    """Write ``lines`` under ``header`` (renamed, with twin columns before their originals)."""
    rename, twins = rename or {}, twins or {}
    columns: list[tuple[str, str | None]] = []  # (header written, key of the value or None)
    for name in header:
        if name in twins:  # before the real column: reading the first match would be wrong
            columns.append((twins[name], None))
        columns.append((rename.get(name, name), name))
    shown = [unicodedata.normalize("NFD" if nfd else "NFC", name) for name, _ in columns]

    def rows() -> Iterable[list[object]]:
        if description:
            yield [_description(key or name) for name, key in columns]
        for line in lines:
            values = cells(line, format_time(line.created, dates, tz))
            yield [
                values.get(key) if key is not None else _twin_value(name) for name, key in columns
            ]

    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(shown)
            for row in rows():
                writer.writerow([_csv_cell(v, tab_suffix) for v in row])
    else:
        write_table(path, itertools.chain([shown], rows()))
    return Export(path, expected_totals(lines, tz), len(lines))


def _twin_value(name: str) -> object:
    return "Đã hủy" if "thái" in name.lower() else "TWIN-ID"


def _csv_cell(value: object, tab_suffix: bool) -> str:
    text = "" if value is None else str(value)
    return text + "\t" if tab_suffix and text else text


def write_table(path: Path, rows: Iterable[Sequence[Any]], sheet: str = "orders") -> Path:
    """Any rows to an .xlsx (write-only, streamed) or a .csv file, by the path's suffix."""
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as stream:
            csv.writer(stream).writerows(rows)
        return path
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet)
    count = width = 0
    for row in rows:
        worksheet.append(list(row))
        count, width = count + 1, max(width, len(row))
    workbook.save(path)
    if count:
        _add_dimension(path, f"A1:{get_column_letter(max(width, 1))}{count}")
    return path


def _add_dimension(path: Path, ref: str) -> None:
    """Write the sheet's ``<dimension>`` as Excel and the marketplaces' exporters do (openpyxl's
    write-only mode leaves it out, and a reader then scans the whole sheet for it)."""
    marker = b"<sheetViews>"
    done = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(done, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            with source.open(item) as reader, out.open(item.filename, "w") as writer:
                head = reader.read(4096)
                if item.filename.startswith("xl/worksheets/") and marker in head:
                    head = head.replace(marker, f'<dimension ref="{ref}"/>'.encode() + marker, 1)
                writer.write(head)
                shutil.copyfileobj(reader, writer, 1 << 20)
    done.replace(path)


def write_shopee_vn(
    path: Path,
    lines: Sequence[Line],
    *,
    dates: DateLayout = "iso",
    old: bool = False,
    twins: bool = False,
    nfd: bool = False,
    tz: ZoneInfo = VN,
) -> Export:
    return _write(
        path,
        SHOPEE_VN_HEADER,
        lines,
        _shopee_vn_cells,
        dates=dates,
        tz=tz,
        nfd=nfd,
        rename=SHOPEE_VN_OLD if old else None,
        twins=SHOPEE_VN_TWINS if twins else None,
    )


def write_shopee_en(
    path: Path,
    lines: Sequence[Line],
    *,
    dates: DateLayout = "iso",
    nfd: bool = False,
    tz: ZoneInfo = VN,
) -> Export:
    return _write(path, SHOPEE_EN_HEADER, lines, _shopee_en_cells, dates=dates, tz=tz, nfd=nfd)


def write_tiktok(
    path: Path,
    lines: Sequence[Line],
    *,
    dates: DateLayout = "day_first",
    description: bool = True,
    nfd: bool = False,
    tz: ZoneInfo = VN,
) -> Export:
    """TikTok Shop's export, .xlsx or .csv (cells end with a tab there, as TikTok's do)."""
    return _write(
        path,
        TIKTOK_HEADER,
        lines,
        _tiktok_cells,
        dates=dates,
        tz=tz,
        nfd=nfd,
        description=description,
        tab_suffix=True,
    )


def order_lines(
    orders: int,
    start: date,
    days: int,
    *,
    seed: int = 13,
    max_lines: int = 4,
    cancel_rate: float = 0.08,
    return_rate: float = 0.04,
) -> list[Line]:
    """``orders`` random orders over ``days`` days from ``start``, 1..max_lines lines each
    (2.5 on average with the default), in creation order."""
    rng = random.Random(seed)
    seconds = days * 86_400
    times = sorted(rng.randrange(seconds) for _ in range(orders))
    lines: list[Line] = []
    for number, offset in enumerate(times):
        created = datetime.combine(start, datetime.min.time()) + timedelta(seconds=offset)
        roll = rng.random()
        status: Status = "cancelled" if roll < cancel_rate else "done"
        returned = status == "done" and rng.random() < return_rate / (1 - cancel_rate)
        amount = float(rng.randrange(50, 3_000) * 1_000)
        order = f"{created:%y%m%d}{number:06d}{rng.choice('ABCDEFGH')}"
        for index in range(rng.randint(1, max_lines)):
            lines.append(
                Line(order, created, amount, status, returned, f"SKU-{index}", rng.randint(1, 3))
            )
    return lines
