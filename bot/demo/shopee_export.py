"""A Shopee (Vietnamese) order export for the demo, in the layout Seller Centre downloads
(``Order.all.<from>_<to>.xlsx``): the real header row, one row per order *line*, the
order-level columns (creation time, status, order total) repeated on every line of an order.

``day_orders`` makes the orders of one business day that add up to given totals, by the rules
``bot.marketplace`` applies (distinct orders, cancelled, returned, GMV = order totals, NMV =
GMV less cancelled and returned orders); ``totals`` recomputes them from the orders, without
the reader. Deterministic: the same arguments give the same orders and rows.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

DONE = "Hoàn thành"
SHIPPING = "Đang giao"
CANCELLED = "Đã hủy"
RETURN_ACCEPTED = "Đã Chấp Thuận Yêu Cầu"

# The columns of Shopee Seller Centre's order export (Vietnamese), in its order.
HEADER = (
    "Mã đơn hàng", "Mã Kiện Hàng", "Ngày đặt hàng", "Trạng Thái Đơn Hàng", "Lý do hủy",
    "Nhận xét từ Người mua", "Mã vận đơn", "Đơn Vị Vận Chuyển", "Phương thức giao hàng",
    "Loại đơn hàng", "Ngày giao hàng dự kiến", "Ngày gửi hàng", "Thời gian giao hàng",
    "Trạng thái Trả hàng/Hoàn tiền", "SKU sản phẩm", "Tên sản phẩm", "Cân nặng sản phẩm",
    "Tổng cân nặng", "SKU phân loại hàng", "Tên phân loại hàng", "Giá gốc", "Người bán trợ giá",
    "Được Shopee trợ giá", "Tổng số tiền được người bán trợ giá", "Giá ưu đãi", "Số lượng",
    "Số lượng sản phẩm được hoàn trả", "Tổng giá bán (sản phẩm)", "Tổng giá trị đơn hàng (VND)",
    "Mã giảm giá của Shop", "Hoàn Xu", "Mã giảm giá của Shopee", "Chỉ tiêu Combo Khuyến Mãi",
    "Giảm giá từ combo Shopee", "Giảm giá từ Combo của Shop", "Shopee Xu được hoàn",
    "Số tiền được giảm khi thanh toán bằng thẻ Ghi nợ", "Phí vận chuyển (dự kiến)",
    "Phí vận chuyển mà người mua trả", "Phí vận chuyển tài trợ bởi Shopee (dự kiến)",
    "Phí trả hàng", "Tổng số tiền người mua thanh toán", "Thời gian hoàn thành đơn hàng",
    "Thời gian đơn hàng được thanh toán", "Phương thức thanh toán", "Phí cố định", "Phí Dịch Vụ",
    "Phí thanh toán", "Tiền ký quỹ", "Người Mua", "Tên Người nhận", "Số điện thoại",
    "Tỉnh/Thành phố", "TP / Quận / Huyện", "Quận", "Địa chỉ nhận hàng", "Quốc gia", "Ghi chú",
)  # fmt: skip

PRODUCTS = (
    ("HS-SRM-150", "Sữa rửa mặt Hoa Sen 150ml"),
    ("HS-TONER-200", "Nước hoa hồng Hoa Sen 200ml"),
    ("HS-SERUM-30", "Serum dưỡng ẩm Hoa Sen 30ml"),
    ("HS-KCN-50", "Kem chống nắng Hoa Sen SPF50 50ml"),
)
SHIPPING_FEE = 15_000


@dataclass(frozen=True)
class ShopeeOrder:
    order_id: str
    created: datetime  # local time in the shop's timezone (the export shows local times)
    amount: int  # Tổng giá trị đơn hàng (VND): the order's total, on each of its lines
    status: str = DONE
    return_status: str = ""  # a return/refund request, "" for none
    lines: int = 1  # rows of the order in the export (one per product)


def order_id(day: date, number: int) -> str:
    """A Shopee-style order number: the day (YYMMDD) and eight letters and digits."""
    digest = hashlib.sha1(f"{day.isoformat()}#{number}".encode()).hexdigest()
    return f"{day:%y%m%d}{digest[:8].upper()}"


def _split(total: int, count: int) -> list[int]:
    """``count`` amounts in thousands of đồng, varied, adding up to ``total`` exactly."""
    if count == 0:
        if total:
            raise ValueError(f"no order to carry {total}")
        return []
    weights = [0.7 + 0.15 * (i % 5) for i in range(count)]
    scale = total / sum(weights)
    amounts = [round(w * scale, -3) for w in weights[:-1]]
    last = total - int(sum(amounts))
    if last <= 0:
        raise ValueError(f"cannot split {total} into {count} orders")
    return [int(a) for a in amounts] + [last]


def day_orders(
    day: date, *, orders: int, cancelled: int, returned: int, gmv: int, nmv: int
) -> list[ShopeeOrder]:
    """The orders of ``day``, spread over the day, whose totals are the given ones."""
    if cancelled + returned > orders or nmv > gmv:
        raise ValueError("inconsistent totals")
    kept = orders - cancelled - returned
    amounts = _split(nmv, kept) + _split(gmv - nmv, cancelled + returned)
    start = datetime.combine(day, time(0, 12))
    step = (24 * 60 - 20) / max(orders, 1)  # the last order a few minutes before midnight
    made: list[ShopeeOrder] = []
    for number, amount in enumerate(amounts):
        if number < kept:
            status, return_status = (SHIPPING if number % 7 == 0 else DONE), ""
        elif number < kept + cancelled:
            status, return_status = CANCELLED, ""
        else:
            status, return_status = DONE, RETURN_ACCEPTED
        # Spread the special orders over the day rather than leave them at its end.
        slot = (number * 37) % orders if orders > 1 else 0
        created = start + timedelta(minutes=round(slot * step))
        lines = 2 if number % 4 == 1 else 1
        made.append(
            ShopeeOrder(order_id(day, number), created, amount, status, return_status, lines)
        )
    return sorted(made, key=lambda order: order.created, reverse=True)  # newest first


def totals(orders: Iterable[ShopeeOrder]) -> dict[date, dict[str, int]]:
    """The numbers per day, recomputed from the orders (not from the file)."""
    days: dict[date, dict[str, int]] = {}
    for order in orders:
        values = days.setdefault(
            order.created.date(),
            dict.fromkeys(("orders", "cancelled", "returned", "gmv", "nmv"), 0),
        )
        values["orders"] += 1
        values["gmv"] += order.amount
        if order.status == CANCELLED:
            values["cancelled"] += 1
        elif order.return_status:
            values["returned"] += 1
        else:
            values["nmv"] += order.amount
    return days


def _row(order: ShopeeOrder, line: int) -> list[object]:
    sku, name = PRODUCTS[(line + int(order.order_id[-2:], 16)) % len(PRODUCTS)]
    price = order.amount // order.lines
    cells: dict[str, object] = {
        "Mã đơn hàng": order.order_id,
        "Mã Kiện Hàng": f"OFG{order.order_id}",
        "Ngày đặt hàng": f"{order.created:%Y-%m-%d %H:%M}",
        "Trạng Thái Đơn Hàng": order.status,
        "Lý do hủy": "Người mua: Muốn thay đổi địa chỉ" if order.status == CANCELLED else "",
        "Mã vận đơn": "" if order.status == CANCELLED else f"SPXVN0{order.order_id[-9:]}",
        "Đơn Vị Vận Chuyển": "SPX Express",
        "Phương thức giao hàng": "Nhanh",
        "Loại đơn hàng": "Đơn thường",
        "Trạng thái Trả hàng/Hoàn tiền": order.return_status,
        "SKU sản phẩm": sku,
        "Tên sản phẩm": name,
        "SKU phân loại hàng": sku,
        "Giá gốc": price + 20_000,
        "Giá ưu đãi": price,
        "Số lượng": 1,
        "Tổng giá bán (sản phẩm)": price,
        "Tổng giá trị đơn hàng (VND)": order.amount,
        "Phí vận chuyển mà người mua trả": SHIPPING_FEE,
        "Tổng số tiền người mua thanh toán": order.amount + SHIPPING_FEE,
        "Phương thức thanh toán": "Thanh toán khi nhận hàng",
        "Người Mua": f"buyer{order.order_id[-5:].lower()}",
        "Tỉnh/Thành phố": "TP. Hồ Chí Minh",
        "Quốc gia": "VN",
    }
    return [cells.get(column, "") for column in HEADER]


def shopee_vn_xlsx(orders: Sequence[ShopeeOrder]) -> bytes:
    """The export as an .xlsx workbook (one sheet, ``orders``)."""
    from openpyxl import Workbook  # heavy: only when a file is made

    book = Workbook(write_only=True)
    sheet = book.create_sheet("orders")
    sheet.append(list(HEADER))
    for order in orders:
        for line in range(order.lines):
            sheet.append(_row(order, line))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def file_name(first: date, last: date) -> str:
    return f"Order.all.{first:%Y%m%d}_{last:%Y%m%d}.xlsx"
