"""Order exports in chat, end to end: a Shopee export → preview → Confirm → revisions; the same
file again; bad rows; store buttons; restart and forged buttons mid-preview.

Expected numbers are computed here from the orders the test wrote, independently of the
reader: distinct orders per creation day, cancelled, returned, GMV, NMV.
"""

from __future__ import annotations

import hashlib
import io
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from support.bot_harness import BotUnderTest, forge_callback
from support.mid_form import MidForm

from bot.roles import Role
from bot.sandbox.client import SandboxUser
from storage.models import DailyValue, FsmRecord, Member, Report, Store, ValueRevision
from storage.repositories import reports

HEADER = [
    "Mã đơn hàng",
    "Ngày đặt hàng",
    "Trạng Thái Đơn Hàng",
    "Trạng thái Trả hàng/Hoàn tiền",
    "SKU sản phẩm",
    "Số lượng",
    "Tổng giá trị đơn hàng (VND)",
    "Tổng số tiền người mua thanh toán",
]


class Order(NamedTuple):
    order_id: str
    created: str  # day-first text, as Shopee VN writes it
    status: str
    returned: str  # the return/refund status, "" for none
    amount: int
    lines: int


ORDERS = [
    Order("A1", "18/11/2026 10:15", "Hoàn thành", "", 250_000, 2),
    Order("A2", "18/11/2026 23:59", "Đã hủy", "", 100_000, 1),
    Order("B1", "19/11/2026 00:05", "Hoàn thành", "", 300_000, 1),
    Order("B2", "19/11/2026 12:00", "Hoàn thành", "Đã hoàn tiền", 200_000, 2),
    Order("B3", "19/11/2026 21:30", "Đang giao", "", 150_000, 3),
    Order("C1", "20/11/2026 08:00", "Hoàn thành", "", 500_000, 1),
    Order("D1", "21/11/2026 08:30", "Chờ xác nhận", "", 999_000, 1),  # today: not over
    Order("E1", "05/11/2026 14:00", "Hoàn thành", "", 120_000, 1),  # outside staff's 7 days
]


def expected(orders: Sequence[Order]) -> dict[date, dict[str, float]]:
    """Totals per day, written without the reader: a straightforward loop over orders."""
    days: dict[date, dict[str, float]] = defaultdict(
        lambda: {"orders": 0, "cancelled": 0, "returned": 0, "gmv": 0, "nmv": 0}
    )
    for order in orders:
        day = datetime.strptime(order.created, "%d/%m/%Y %H:%M").date()
        totals = days[day]
        totals["orders"] += 1
        totals["gmv"] += order.amount
        if order.status == "Đã hủy":
            totals["cancelled"] += 1
        elif order.returned:
            totals["returned"] += 1
        else:
            totals["nmv"] += order.amount
    return dict(days)


def shopee_rows(orders: Sequence[Order]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for order in orders:
        for line in range(order.lines):  # order-level columns repeat on every line
            rows.append(
                [
                    order.order_id,
                    order.created,
                    order.status,
                    order.returned,
                    f"SKU-{line}",
                    1,
                    order.amount,
                    order.amount,
                ]
            )
    return rows


def shopee_xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "orders"
    for row in [HEADER, *rows]:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


FILE = shopee_xlsx(shopee_rows(ORDERS))
NAME = "Order.all.20261105_20261121.xlsx"


async def send_file(user: SandboxUser, content: bytes, name: str = NAME) -> str:
    await user.send_document(name, content)
    return (await user.next_message()).text


async def stored(app: BotUnderTest, code: str = "HS-SHOPEE") -> dict[date, dict[str, float]]:
    async with app.db.session_factory() as session:
        rows = await session.execute(
            select(DailyValue.business_date, DailyValue.metric, DailyValue.value)
            .join(Report, Report.id == DailyValue.report_id)
            .join(Store, Store.id == Report.store_id)
            .where(Store.code == code)
        )
        values: dict[date, dict[str, float]] = defaultdict(dict)
        for day, metric, value in rows.all():
            values[day][metric] = value
        return dict(values)


async def revisions(app: BotUnderTest) -> list[ValueRevision]:
    async with app.db.session_factory() as session:
        found = await session.scalars(select(ValueRevision).order_by(ValueRevision.id))
        return list(found.all())


async def typed_by_hand(app: BotUnderTest, member: Member, day: date, values: dict) -> None:
    """A chat report saved earlier by ``member`` (as the report form saves it)."""
    async with app.db.session_factory() as session, session.begin():
        store = await session.scalar(select(Store).where(Store.code == "HS-SHOPEE"))
        assert store is not None
        await reports.save_report(
            session,
            subject_key=f"store:{store.id}",
            store_id=store.id,
            member_id=None,
            form="growth",
            business_date=day,
            values=values,
            expected_revision=0,
            actor_id=member.id,
            now=app.clock.now(),
            source="chat",
        )


@pytest.fixture
async def lan(app: BotUnderTest, user_factory) -> SandboxUser:
    """Staff with one Shopee store (and a TikTok one): her exports go to HS-SHOPEE."""
    user = user_factory(7001, "Lan")
    await app.join(user, Role.STAFF, "growth", ("HS-SHOPEE", "HS-TIKTOK"))
    return user


@pytest.fixture
async def minh(app: BotUnderTest, user_factory) -> Member:
    user = user_factory(7002, "Minh")
    await app.join(user, Role.STAFF, "growth", ("HS-SHOPEE",))
    member = await app.member(7002)
    assert member is not None
    return member


async def test_preview_confirm_and_the_same_file_again(
    app: BotUnderTest, lan: SandboxUser, minh: Member
) -> None:
    want = expected(ORDERS)
    nov = {day.day: day for day in want}
    assert want[nov[19]] == {
        "orders": 3, "cancelled": 0, "returned": 1, "gmv": 650_000, "nmv": 450_000
    }  # fmt: skip
    await typed_by_hand(app, minh, nov[19], {"orders": 2, "gmv": 650_000, "traffic": 1000})

    preview = await send_file(lan, FILE)
    assert "Xem trước file «Order.all.20261105_20261121.xlsx»" in preview, preview
    assert "Shopee (tiếng Việt)" in preview and "Gian hàng: HS-SHOPEE" in preview
    assert f"Đã đọc {sum(o.lines for o in ORDERS)} dòng" in preview
    assert "ngày trước, tháng sau" in preview
    # 18/11 and 20/11: five new values each; 19/11: three new, orders changed, gmv the same
    assert "Số liệu: mới 13 · thay đổi 1 · giữ nguyên 1" in preview
    day_18 = next(line for line in preview.splitlines() if "18/11/2026:" in line)
    assert "Doanh thu (GMV) 350.000 ₫ (mới)" in day_18 and "Đơn hàng 2 đơn (mới)" in day_18
    assert "Doanh thu thuần (NMV) 250.000 ₫ (mới)" in preview
    assert "Đơn hủy 1 đơn (mới)" in day_18 and "Đơn hoàn 0 đơn (mới)" in day_18
    assert "Đơn hàng 2 đơn → 3 đơn (số cũ do Minh nhập)" in preview
    assert "giữ nguyên: Doanh thu (GMV)" in preview
    assert "05/11/2026: không nhập — Ngày 05/11/2026 quá xa" in preview
    assert "Chưa hết ngày, bỏ qua: 21/11" in preview
    assert await stored(app) == {nov[19]: {"orders": 2, "gmv": 650_000, "traffic": 1000}}

    await lan.press("✅ Xác nhận")
    done = await lan.next_message()
    assert "Đã lưu số liệu của HS-SHOPEE" in done.text and "3 ngày" in done.text, done.text
    values = await stored(app)
    for day in (nov[18], nov[20]):
        assert values[day] == want[day]
    assert values[nov[19]] == {**want[nov[19]], "traffic": 1000}
    assert date(2026, 11, 21) not in values and date(2026, 11, 5) not in values

    imported = [r for r in await revisions(app) if r.source != "chat"]
    sha = hashlib.sha256(FILE).hexdigest()
    assert {r.source for r in imported} == {"import:shopee_vn"}
    assert {r.source_detail for r in imported} == {f"{NAME} sha256:{sha}"}
    assert len(imported) == 14  # 13 new values and one changed one
    lan_member = await app.member(7001)
    assert lan_member is not None and {r.changed_by_id for r in imported} == {lan_member.id}
    changed = [r for r in imported if r.old_value is not None]
    assert [(r.metric, r.old_value, r.new_value) for r in changed] == [("orders", 2, 3)]

    again = await send_file(lan, FILE)
    assert "Không có gì thay đổi" in again, again
    assert "giữ nguyên 15" in again
    assert lan.last_message_with_buttons is None
    assert len(await revisions(app)) == len(imported) + 3
    async with app.db.session_factory() as session:
        assert (await session.scalar(select(FsmRecord.state).limit(1))) is None


async def test_bad_rows_are_listed_and_the_good_ones_imported_after_confirm(
    app: BotUnderTest, lan: SandboxUser
) -> None:
    good = [o for o in ORDERS if o.order_id in ("A1", "C1")]
    rows = shopee_rows(good)
    rows.insert(1, ["", "18/11/2026 11:00", "Hoàn thành", "", "SKU-9", 1, 10_000, 10_000])
    rows.append(["F1", "ngày hôm qua", "Hoàn thành", "", "SKU-1", 1, 40_000, 40_000])
    preview = await send_file(lan, shopee_xlsx(rows), "orders.xlsx")
    assert "2 dòng không đọc được" in preview, preview
    assert "dòng 3: thiếu mã đơn hàng" in preview  # the header is row 1
    assert "dòng 6: ngày đặt hàng trống hoặc không đọc được" in preview
    assert await stored(app) == {}
    await lan.press("✅ Xác nhận")
    assert "2 ngày" in (await lan.next_message()).text
    want = expected(good)
    assert await stored(app) == want


async def test_several_stores_on_the_platform_are_asked_with_buttons(
    app: BotUnderTest, user_factory
) -> None:
    tuan = user_factory(7003, "Tuấn")
    await app.join(tuan, Role.MANAGER, "growth")
    question = await send_file(tuan, FILE)
    assert "Số liệu này của gian hàng nào?" in question
    buttons = tuan.last_message_with_buttons
    assert buttons is not None
    labels = [b for b in buttons.button_texts if "·" in b]
    assert [b.split(" · ")[0] for b in labels] == ["GDAP-SHOPEE", "HS-SHOPEE", "TTSG-SHOPEE"]
    assert buttons.button_texts[-1] == "✖️ Huỷ"

    # a forged store id (a TikTok store, never offered) is refused
    store_ids = {code: sid for code, sid in await store_id_map(app)}
    forged = (buttons.callback_data(labels[0]) or "").rsplit(":", 1)[0]
    forge_callback(app.sandbox, tuan, buttons.message_id or 0, f"{forged}:{store_ids['HS-TIKTOK']}")
    assert "hết hiệu lực" in (await tuan.next_callback_answer()).text

    await app.restart()  # the pick survives too: it is form state in the database
    tuan.drain()
    await tuan.press(labels[2], message=buttons)  # TTSG-SHOPEE
    preview = await tuan.next_message()
    assert "Gian hàng: TTSG-SHOPEE" in preview.text
    assert "05/11/2026: Đơn hàng 1 đơn (mới)" in preview.text  # managers: any past day
    await tuan.press("✅ Xác nhận")
    assert "4 ngày" in (await tuan.next_message()).text
    assert set(await stored(app, "TTSG-SHOPEE")) == {date(2026, 11, d) for d in (5, 18, 19, 20)}
    assert await stored(app, "HS-SHOPEE") == {}


async def store_id_map(app: BotUnderTest) -> list[tuple[str, int]]:
    async with app.db.session_factory() as session:
        return [(s.code, s.id) for s in (await session.scalars(select(Store))).all()]


async def test_member_without_a_store_on_the_platform(app: BotUnderTest, user_factory) -> None:
    hoa = user_factory(7004, "Hoà")
    await app.join(hoa, Role.STAFF, "growth", ("HS-TIKTOK",))
    reply = await send_file(hoa, FILE)
    assert "không phụ trách gian hàng Shopee nào" in reply, reply
    assert await stored(app) == {} and await revisions(app) == []


async def test_restart_in_the_middle_of_a_preview_then_confirm(
    app: BotUnderTest, lan: SandboxUser
) -> None:
    await send_file(lan, FILE)
    preview = lan.last_message_with_buttons
    assert preview is not None
    await app.restart()
    assert await stored(app) == {}  # nothing half-written
    await lan.press("✅ Xác nhận", message=preview)
    assert "3 ngày" in (await lan.next_message()).text
    assert set(await stored(app)) == {date(2026, 11, d) for d in (18, 19, 20)}


async def test_forged_stale_and_double_confirm_and_cancel(
    app: BotUnderTest, lan: SandboxUser, user_factory
) -> None:
    await send_file(lan, FILE)
    preview = lan.last_message_with_buttons
    assert preview is not None and preview.message_id is not None
    forge_callback(app.sandbox, lan, preview.message_id, "ing:deadbeef:ok:")
    assert "hết hiệu lực" in (await lan.next_callback_answer()).text
    await lan.press("✖️ Huỷ")
    assert "Đã huỷ" in (await lan.next_message()).text
    lan.drain()
    await lan.press("✅ Xác nhận", message=preview)  # after Cancel: stale
    assert "hết hiệu lực" in (await lan.next_callback_answer()).text
    assert await revisions(app) == []

    await send_file(lan, FILE)
    second = lan.last_message_with_buttons
    assert second is not None
    lan.drain()
    await lan.press("✅ Xác nhận", message=second)
    await lan.press("✅ Xác nhận", message=second)  # a nervous double tap
    answers = [await lan.next_callback_answer(), await lan.next_callback_answer()]
    assert sum("hết hiệu lực" in a.text for a in answers) == 1
    assert "3 ngày" in (await lan.next_message()).text
    count = len(await revisions(app))
    assert count > 0

    # the same button data pressed by someone else (no preview of theirs) does nothing
    other = user_factory(7005, "Quân")
    await app.join(other, Role.STAFF, "growth", ("HS-SHOPEE",))
    own = app.sandbox.messages(other.user_id)[-1]["message_id"]
    forge_callback(app.sandbox, other, own, second.callback_data("✅ Xác nhận") or "")
    assert "hết hiệu lực" in (await other.next_callback_answer()).text
    assert len(await revisions(app)) == count


async def test_text_during_preview_gets_a_hint_and_cancel_command_works(
    app: BotUnderTest, lan: SandboxUser
) -> None:
    await send_file(lan, FILE)
    await lan.send("ok lưu đi")
    assert "Xác nhận" in (await lan.next_message()).text
    await lan.send("/cancel")
    assert "Đã huỷ" in (await lan.next_message()).text
    await lan.press("✅ Xác nhận")
    assert "hết hiệu lực" in (await lan.next_callback_answer()).text
    assert await stored(app) == {}


async def test_numbers_changed_after_the_preview_show_a_fresh_one(
    app: BotUnderTest, lan: SandboxUser, minh: Member
) -> None:
    await send_file(lan, FILE)
    first = lan.last_message_with_buttons
    assert first is not None
    await typed_by_hand(app, minh, date(2026, 11, 20), {"orders": 7})
    await lan.press("✅ Xác nhận", message=first)
    assert "thay đổi sau khi bạn xem trước" in (await lan.next_message()).text
    fresh = await lan.next_message()
    assert "Đơn hàng 7 đơn → 1 đơn (số cũ do Minh nhập)" in fresh.text, fresh.text
    assert await stored(app) == {date(2026, 11, 20): {"orders": 7}}
    assert first.message_id is not None
    lan.drain()
    old_button = first.callback_data("✅ Xác nhận") or ""
    forge_callback(app.sandbox, lan, first.message_id, old_button)  # the old preview's: stale
    assert "hết hiệu lực" in (await lan.next_callback_answer()).text
    await lan.press("✅ Xác nhận", message=fresh)
    assert "3 ngày" in (await lan.next_message()).text
    assert (await stored(app))[date(2026, 11, 20)]["orders"] == 1


async def test_every_kind_of_command_during_the_upload_keeps_it(
    app: BotUnderTest, user_factory
) -> None:
    tuan = user_factory(7003, "Tuấn")
    await app.join(tuan, Role.MANAGER, "growth")
    assert "gian hàng nào" in await send_file(tuan, FILE)
    question = tuan.last_message_with_buttons
    assert question is not None
    [label] = [b for b in question.button_texts if b.startswith("HS-SHOPEE · ")]
    picking = f"xem trước số liệu nhập từ «{NAME}» — chọn gian hàng bằng các nút ở trên"
    await MidForm(app, tuan, picking).every_kind("growth")
    await tuan.press(label, message=question)
    preview = await tuan.next_message()
    assert "Gian hàng: HS-SHOPEE" in preview.text
    previewing = f"xem trước số liệu nhập từ «{NAME}» — bấm «Xác nhận» hoặc «Huỷ»"
    await MidForm(app, tuan, previewing).every_kind("growth")
    await tuan.press("✅ Xác nhận", message=preview)
    assert "4 ngày" in (await tuan.next_message()).text  # the preview was kept all along
