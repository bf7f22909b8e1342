"""Files that cannot be imported get a clear answer and nothing is written; a daily-totals file
names its store, and a store outside the member's scope reads exactly like an unknown one."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from support.bot_harness import BotUnderTest
from support.databases import DatabaseSpec
from test_ingest_upload import FILE, HEADER, ORDERS, send_file, shopee_rows, shopee_xlsx

from bot.clock import FrozenClock
from bot.org.sources import Sources
from bot.roles import Role
from bot.sandbox.client import SandboxUser
from bot.sandbox.server import SandboxServer
from storage.models import DailyValue, FsmRecord, ValueRevision


async def nothing_written(app: BotUnderTest) -> bool:
    async with app.db.session_factory() as session:
        values = await session.scalar(select(func.count()).select_from(DailyValue))
        revisions = await session.scalar(select(func.count()).select_from(ValueRevision))
        state = await session.scalar(
            select(FsmRecord.state).where(FsmRecord.state.is_not(None)).limit(1)
        )
        return values == 0 and revisions == 0 and state is None


@pytest.fixture
async def lan(app: BotUnderTest, user_factory) -> SandboxUser:
    user = user_factory(7101, "Lan")
    await app.join(user, Role.STAFF, "growth", ("HS-SHOPEE",))
    return user


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
MISSING_RETURN = [h for h in HEADER if h != "Trạng thái Trả hàng/Hoàn tiền"]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("orders.xlsx", b"this is not a spreadsheet at all", ["không đọc được như bảng tính"]),
        ("orders.csv", b"\x00\x01\x02\xff" * 50, ["không phải văn bản"]),
        ("orders.xls", OLE_MAGIC, ["Excel cũ (.xls)", "Excel Workbook (.xlsx)"]),
        ("orders.xlsx", OLE_MAGIC, ["Excel cũ (.xls)"]),
        ("orders.pdf", b"%PDF-1.4", ["chỉ đọc file đơn hàng xuất từ sàn", "orders.pdf"]),
        ("orders.xlsx", xlsx([HEADER]), ["không có dòng đơn hàng nào"]),
        (
            "orders.xlsx",
            xlsx([MISSING_RETURN, ["A1", "18/11/2026 10:00", "Hoàn thành", "x", 1, 1, 1]]),
            [
                "giống file Shopee (tiếng Việt)",
                "thiếu cột «Trạng thái Trả hàng/Hoàn tiền»",
                "Mã đơn hàng",
            ],
        ),
        (
            "orders.xlsx",
            xlsx([["Ngày", "Khách", "Tiền"], ["18/11/2026", "Chị A", 1000]]),
            ["không nhận ra dòng tiêu đề", "TikTok Shop", "sources.formats"],
        ),
    ],
    ids=["garbage", "binary-csv", "xls", "xls-renamed", "pdf", "empty", "missing", "unknown"],
)
async def test_bad_files_are_explained_and_nothing_is_written(
    app: BotUnderTest, lan: SandboxUser, name: str, content: bytes, expected: list[str]
) -> None:
    reply = await send_file(lan, content, name)
    for part in expected:
        assert part in reply, reply
    assert "Chưa có gì được lưu" in reply
    assert await nothing_written(app)


async def test_over_twenty_megabytes_is_refused_before_downloading(
    app: BotUnderTest, lan: SandboxUser
) -> None:
    reply = await send_file(lan, b"\0" * (21 * 1024 * 1024), "Order.all.2026.xlsx")
    assert "21 MB" in reply and "20 MB" in reply, reply
    assert "chia nhỏ file" in reply and "opsbot ingest file" in reply and "API" in reply
    assert "kế hoạch" not in reply  # staff cannot import plans: not mentioned
    assert await nothing_written(app)


async def test_a_bad_file_during_a_preview_keeps_the_preview(
    app: BotUnderTest, lan: SandboxUser
) -> None:
    await send_file(lan, FILE)
    preview = lan.last_message_with_buttons
    assert preview is not None
    assert "không đọc được" in await send_file(lan, b"garbage", "x.xlsx")
    await lan.press("✅ Xác nhận", message=preview)
    assert "3 ngày" in (await lan.next_message()).text


async def test_staff_sending_a_plan_file_is_told_plans_are_for_managers(
    app: BotUnderTest, lan: SandboxUser
) -> None:
    plan = xlsx([["Cửa hàng", "Chỉ số", "Tháng", "Mục tiêu"], ["HS-SHOPEE", "gmv", "2026-12", 1]])
    assert "Chỉ quản lý và quản trị viên" in await send_file(lan, plan, "ke-hoach.xlsx")
    assert await nothing_written(app)


async def test_manager_gets_plan_and_export_limits_named(app: BotUnderTest, user_factory) -> None:
    tuan = user_factory(7102, "Tuấn")
    await app.join(tuan, Role.MANAGER, "growth")
    reply = await send_file(tuan, b"%PDF", "bao-cao.pdf")
    assert "file kế hoạch .xlsx hoặc .csv" in reply and "Shopee (.xlsx)" in reply
    # an export from a manager still goes through the export reader (store buttons)
    assert "gian hàng nào" in await send_file(tuan, shopee_xlsx(shopee_rows(ORDERS[:1])))


# --- a declared daily-totals format that names its store -----------------------------------------

# as an org file's ``sources`` section declares it (YAML shown in bot/org/import_formats.py)
POS_DAILY = {
    "name": "pos_daily",
    "platform": "pos",
    "kind": "daily_totals",
    "columns": {"date": "Ngày", "store": "Mã cửa hàng"},
    "values": {"gmv": "Doanh thu", "orders": "Số hóa đơn"},
}


@pytest.fixture
async def pos_app(
    sandbox: SandboxServer, database_spec: DatabaseSpec, clock: FrozenClock
) -> AsyncIterator[BotUnderTest]:
    bot = BotUnderTest(sandbox, database_spec, clock)
    sources = Sources.model_validate({"formats": {"declared": [POS_DAILY]}})
    bot.org = bot.org.model_copy(update={"sources": sources})
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


def pos_file(store: str) -> bytes:
    return xlsx(
        [
            ["Ngày", "Mã cửa hàng", "Doanh thu", "Số hóa đơn"],
            ["19/11/2026", store, 4_200_000, 12],
            ["20/11/2026", store, 3_100_000, 9],
        ]
    )


async def test_daily_totals_name_the_store_and_out_of_scope_reads_as_unknown(
    pos_app: BotUnderTest, user_factory
) -> None:
    staff = user_factory(7103, "Hà")
    await pos_app.join(staff, Role.STAFF, "growth", ("TTSG-Q1",))
    preview = await send_file(staff, pos_file("TTSG-Q1"), "pos.xlsx")
    assert "Gian hàng: TTSG-Q1" in preview and "pos_daily" in preview, preview
    assert "4.200.000 ₫ (mới)" in preview and "12 đơn (mới)" in preview
    await staff.press("✅ Xác nhận")
    assert "2 ngày" in (await staff.next_message()).text
    async with pos_app.db.session_factory() as session:
        sources = set((await session.scalars(select(ValueRevision.source))).all())
        days = set((await session.scalars(select(DailyValue.business_date))).all())
    assert sources == {"import:pos_daily"}
    assert days == {date(2026, 11, 19), date(2026, 11, 20)}

    other = user_factory(7104, "Khoa")
    await pos_app.join(other, Role.STAFF, "growth", ("HS-SHOPEE",))
    outside = await send_file(other, pos_file("TTSG-Q1"), "pos.xlsx")
    unknown = await send_file(other, pos_file("NO-SUCH"), "pos.xlsx")
    assert outside == unknown.replace("NO-SUCH", "TTSG-Q1")
    assert "Không tìm thấy gian hàng «TTSG-Q1» trong phạm vi của bạn" in outside


async def test_only_days_outside_the_staff_window_saves_nothing(
    app: BotUnderTest, lan: SandboxUser
) -> None:
    old_and_open = [o for o in ORDERS if o.order_id in ("D1", "E1")]
    reply = await send_file(lan, shopee_xlsx(shopee_rows(old_and_open)))
    assert "05/11/2026: không nhập" in reply and "bạn chỉ được gửi số liệu từ ngày 13/11" in reply
    assert "Chưa hết ngày, bỏ qua: 21/11" in reply
    assert "Không có số liệu nào lưu được từ file này" in reply, reply
    assert lan.last_message_with_buttons is None
    assert await nothing_written(app)
