"""Plan import by chat, end to end: file → preview → Confirm, and everything that can go wrong."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from support.bot_harness import BotUnderTest, forge_callback

from bot.roles import Role
from bot.sandbox.client import SandboxUser
from storage.models import FsmRecord, Plan, PlanRevision, Store

HEADER = ["Cửa hàng", "Chỉ số", "Tháng", "Mục tiêu"]
FIRST_PLAN = [
    ["HS-SHOPEE", "gmv", "2026-12", "350tr"],
    ["HS-SHOPEE", "đơn", "2026-12", "2.500"],
    ["HS-TIKTOK", "doanh thu", "12/2026", "1,2 tỷ"],
    ["HS-TIKTOK", "orders", "2026-12", 4000],
]
DEMO_WEIGHTS = {"12": 2.5, "25": 1.5}  # 12.12 and payday from the demo org file


def workbook(rows: list[list[Any]], weights: list[list[Any]] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Kế hoạch"
    for row in [HEADER, *rows]:
        sheet.append(row)
    if weights is not None:
        extra = book.create_sheet("Trọng số ngày")
        for row in [["Cửa hàng", "Tháng", "Ngày", "Trọng số"], *weights]:
            extra.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def plans(app: BotUnderTest) -> dict[tuple[str, str, str], tuple[float, dict[str, float]]]:
    async with app.db.session_factory() as session:
        rows = await session.execute(
            select(Store.code, Plan).join(Store, Store.id == Plan.store_id)
        )
        return {
            (code, plan.metric, plan.month): (plan.target, plan.day_weights)
            for code, plan in rows.all()
        }


async def revisions(app: BotUnderTest) -> list[PlanRevision]:
    async with app.db.session_factory() as session:
        return list((await session.scalars(select(PlanRevision).order_by(PlanRevision.id))).all())


async def send_file(user: SandboxUser, content: bytes, name: str = "ke-hoach.xlsx") -> str:
    await user.send_document(name, content)
    return (await user.next_message()).text


@pytest.fixture
async def tuan(app: BotUnderTest, user_factory) -> SandboxUser:
    user = user_factory(6001, "Tuấn")
    await app.join(user, Role.MANAGER, "growth")
    return user


async def test_manager_imports_previews_confirms_and_reimports_one_change(
    app: BotUnderTest, tuan: SandboxUser
) -> None:
    preview = await send_file(tuan, workbook(FIRST_PLAN))
    assert "Mới: 4 · Thay đổi: 0 · Giữ nguyên: 0" in preview, preview
    assert "HS-SHOPEE · Doanh thu (GMV) · 12/2026: 350.000.000 ₫" in preview
    assert "12/12 ×2,5" in preview and "25/12 ×1,5" in preview
    assert await plans(app) == {}  # nothing before Confirm
    await tuan.press("✅ Xác nhận")
    done = await tuan.next_message()
    assert "Đã lưu kế hoạch: 4 mới" in done.text
    assert await plans(app) == {
        ("HS-SHOPEE", "gmv", "2026-12"): (350_000_000, DEMO_WEIGHTS),
        ("HS-SHOPEE", "orders", "2026-12"): (2500, DEMO_WEIGHTS),
        ("HS-TIKTOK", "gmv", "2026-12"): (1_200_000_000, DEMO_WEIGHTS),
        ("HS-TIKTOK", "orders", "2026-12"): (4000, DEMO_WEIGHTS),
    }
    manager = await app.member(6001)
    assert manager is not None
    first = await revisions(app)
    assert len(first) == 4
    assert {(r.old_target, r.source, r.changed_by_id) for r in first} == {
        (None, "chat", manager.id)
    }

    changed = [*FIRST_PLAN[:3], ["HS-TIKTOK", "orders", "2026-12", 4500]]
    again = await send_file(tuan, workbook(changed))
    assert "Mới: 0 · Thay đổi: 1 · Giữ nguyên: 3" in again
    assert "4.000 đơn → 4.500 đơn" in again
    await tuan.press("✅ Xác nhận")
    assert "1 thay đổi, 3 giữ nguyên" in (await tuan.next_message()).text
    later = await revisions(app)
    assert len(later) == 5
    assert (later[-1].old_target, later[-1].new_target) == (4000, 4500)
    assert (await plans(app))[("HS-TIKTOK", "orders", "2026-12")][0] == 4500


async def test_weights_sheet_overrides_the_org_file_for_its_store(
    app: BotUnderTest, tuan: SandboxUser
) -> None:
    weights = [["HS-SHOPEE", "2026-12", 12, 4], ["tất cả", "2026-12", 25, 1]]
    preview = await send_file(tuan, workbook(FIRST_PLAN[:1] + FIRST_PLAN[2:3], weights))
    assert "12/12 ×4" in preview
    await tuan.press("✅ Xác nhận")
    await tuan.next_message()
    stored = await plans(app)
    assert stored[("HS-SHOPEE", "gmv", "2026-12")][1] == {"12": 4.0}
    assert stored[("HS-TIKTOK", "gmv", "2026-12")][1] == {"12": 2.5}

    view = await send_and_read(tuan, "/plan hs-shopee 2026-12")
    assert "350.000.000 ₫" in view and "12/12 ×4" in view
    # a normal day of December: 350tr / (30 + 4) weighted days
    assert "ngày thường ≈ 10,3tr" in view


async def send_and_read(user: SandboxUser, text: str) -> str:
    await user.send(text)
    return (await user.next_message()).text


async def test_broken_file_lists_problems_with_places_and_changes_nothing(
    app: BotUnderTest, tuan: SandboxUser
) -> None:
    rows = [
        ["HS-SHOPEE", "gmv", "2026-12", "ba trăm triệu"],
        ["HS-SHOPE", "gmv", "2026-12", "1tr"],
        ["HS-SHOPEE", "aov", "2026-12", "1tr"],
        ["HS-TIKTOK", "gmv", "2026-12", -5],
        ["HS-TIKTOK", "gmv", "2026-12", "2tr"],
        ["HS-TIKTOK", "gmv", "2026-12", "3tr"],
        ["HS-TIKTOK", "orders", "tháng 13", 5],
    ]
    reply = await send_file(tuan, workbook(rows))
    assert "chưa có gì được lưu" in reply
    assert (
        "trang «Kế hoạch», dòng 2, cột D" in reply and "«ba trăm triệu» không phải là số" in reply
    )
    assert "dòng 3, cột A" in reply and "có phải «HS-SHOPEE»?" in reply
    assert "dòng 4, cột B" in reply and "aov" in reply
    assert "dòng 5, cột D" in reply and "không được âm" in reply
    assert "dòng 7" in reply and "Trùng với dòng 6" in reply
    assert "dòng 8, cột C" in reply
    assert "Ví dụ" in reply
    assert await plans(app) == {}
    assert tuan.last_message_with_buttons is None
    async with app.db.session_factory() as session:
        assert (await session.scalar(select(FsmRecord.state).limit(1))) is None


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("ke-hoach.xlsx", b"this is not a spreadsheet at all", "không đọc được như bảng tính"),
        ("ke-hoach.pdf", b"%PDF-1.4", "chỉ đọc file kế hoạch .xlsx hoặc .csv"),
        ("ke-hoach.csv", b"\x00\x00\x01\x02\xff", "không phải văn bản"),
    ],
)
async def test_files_that_are_not_spreadsheets(
    app: BotUnderTest, tuan: SandboxUser, name: str, content: bytes, expected: str
) -> None:
    assert expected in await send_file(tuan, content, name)
    assert await plans(app) == {}


async def test_a_50_megabyte_file_is_refused_without_downloading_it(
    app: BotUnderTest, tuan: SandboxUser
) -> None:
    reply = await send_file(tuan, b"\0" * (50 * 1024 * 1024))
    assert "50 MB" in reply and "5 MB" in reply
    assert await plans(app) == {}


async def test_csv_with_semicolons_imports(app: BotUnderTest, tuan: SandboxUser) -> None:
    content = "\ufeffcửa hàng;chỉ số;tháng;mục tiêu\nHS-SHOPEE;gmv;2026-12;12,5tr\n"
    preview = await send_file(tuan, content.encode("utf-8"), "plan.csv")
    assert "12.500.000 ₫" in preview
    await tuan.press("✅ Xác nhận")
    await tuan.next_message()
    assert (await plans(app))[("HS-SHOPEE", "gmv", "2026-12")][0] == 12_500_000


async def test_staff_and_bod_are_refused(app: BotUnderTest, user_factory) -> None:
    minh = user_factory(6002, "Minh")
    await app.join(minh, Role.STAFF, "growth", ("HS-SHOPEE",))
    board = user_factory(6003, "Bà Mai")
    await app.join(board, Role.BOD)
    for user in (minh, board):
        reply = await send_file(user, workbook(FIRST_PLAN))
        assert "Chỉ quản lý và quản trị viên mới nhập được kế hoạch" in reply
    assert await plans(app) == {}


async def test_stores_outside_the_managers_department_read_as_unknown(
    app: BotUnderTest, user_factory
) -> None:
    lan = user_factory(6004, "Lan")
    await app.join(lan, Role.MANAGER, "livestream")
    reply = await send_file(lan, workbook(FIRST_PLAN[:1]))
    assert "Không tìm thấy gian hàng «HS-SHOPEE» trong phạm vi của bạn" in reply
    assert await plans(app) == {}


async def test_cancel_double_confirm_forged_and_stale_buttons(
    app: BotUnderTest, tuan: SandboxUser, user_factory
) -> None:
    await send_file(tuan, workbook(FIRST_PLAN))
    preview = tuan.last_message_with_buttons
    assert preview is not None and preview.message_id is not None
    forge_callback(app.sandbox, tuan, preview.message_id, "plan:ok:deadbeef")
    assert "hết hiệu lực" in (await tuan.next_callback_answer()).text
    await tuan.press("✖️ Huỷ")
    assert "Đã huỷ" in (await tuan.next_message()).text
    assert await plans(app) == {}

    await send_file(tuan, workbook(FIRST_PLAN))
    second = tuan.last_message_with_buttons
    assert second is not None
    tuan.drain()  # the answers and edits of the cancelled preview
    await tuan.press("✅ Xác nhận", message=second)
    await tuan.press("✅ Xác nhận", message=second)  # a nervous double tap
    answers = [await tuan.next_callback_answer(), await tuan.next_callback_answer()]
    assert sum("hết hiệu lực" in a.text for a in answers) == 1
    assert "Đã lưu kế hoạch: 4 mới" in (await tuan.next_message()).text
    await tuan.assert_no_output(kinds="message")
    assert len(await revisions(app)) == 4

    # the same button data pressed by another manager (who has no preview) does nothing
    other = user_factory(6005, "Hoà")
    await app.join(other, Role.MANAGER, "growth")
    own_message = app.sandbox.messages(other.user_id)[-1]["message_id"]
    forge_callback(app.sandbox, other, own_message, second.callback_data("✅ Xác nhận") or "")
    assert "hết hiệu lực" in (await other.next_callback_answer()).text
    assert len(await revisions(app)) == 4


async def test_preview_survives_a_restart(app: BotUnderTest, tuan: SandboxUser) -> None:
    await send_file(tuan, workbook(FIRST_PLAN))
    await app.restart()
    await tuan.press("✅ Xác nhận")
    assert "4 mới" in (await tuan.next_message()).text
    assert len(await plans(app)) == 4


async def test_a_concurrent_change_is_detected_and_a_fresh_preview_shown(
    app: BotUnderTest, tuan: SandboxUser, user_factory
) -> None:
    await send_file(tuan, workbook(FIRST_PLAN))  # Tuấn previews 4 new targets
    admin = user_factory(6006, "Chị Lan")
    await app.join(admin, Role.ADMIN)
    await send_file(admin, workbook([["HS-SHOPEE", "gmv", "2026-12", "400tr"]]))
    await admin.press("✅ Xác nhận")
    await admin.next_message()

    await tuan.press("✅ Xác nhận", message=tuan.last_message_with_buttons)
    warning = await tuan.next_message()
    assert "người khác thay đổi" in warning.text and "1 dòng" in warning.text
    fresh = await tuan.next_message()
    assert "400.000.000 ₫ → 350.000.000 ₫" in fresh.text
    assert (await plans(app))[("HS-SHOPEE", "gmv", "2026-12")][0] == 400_000_000
    assert len(await plans(app)) == 1
    await tuan.press("✅ Xác nhận", message=fresh)
    assert "3 mới, 1 thay đổi" in (await tuan.next_message()).text
    assert (await plans(app))[("HS-SHOPEE", "gmv", "2026-12")][0] == 350_000_000


async def test_template_is_prefilled_and_reimports_cleanly(
    app: BotUnderTest, tuan: SandboxUser
) -> None:
    await send_file(tuan, workbook(FIRST_PLAN))
    await tuan.press("✅ Xác nhận")
    await tuan.next_message()

    await tuan.send("/plan template")
    document = await tuan.next_document()
    assert document.file_name == "ke-hoach-2026-12.xlsx" and document.data is not None
    assert "12/2026" in document.text and "7 gian hàng" in document.text
    book = load_workbook(io.BytesIO(document.data))
    assert book.sheetnames == ["Kế hoạch", "Trọng số ngày", "Mục tiêu cá nhân", "Hướng dẫn"]
    rows = list(book["Kế hoạch"].iter_rows(values_only=True))
    assert rows[0] == ("Cửa hàng", "Tên cửa hàng", "Chỉ số", "Tên chỉ số", "Tháng", "Mục tiêu")
    assert len(rows) == 1 + 7 * 5  # every growth store × plan metric
    filled = {(r[0], r[2]): r[5] for r in rows[1:] if r[5] is not None}
    assert filled == {
        ("HS-SHOPEE", "gmv"): 350_000_000,
        ("HS-SHOPEE", "orders"): 2500,
        ("HS-TIKTOK", "gmv"): 1_200_000_000,
        ("HS-TIKTOK", "orders"): 4000,
    }
    assert book["Kế hoạch"].freeze_panes == "A2"

    same = await send_file(tuan, document.data, document.file_name)
    assert "giống hệt kế hoạch đã lưu" in same and "Giữ nguyên: 4" in same
    assert len(await revisions(app)) == 4

    sheet = book["Kế hoạch"]
    sheet.cell(row=2, column=6, value="90tr")  # the first row: GDAP-SHOPEE gmv
    buffer = io.BytesIO()
    book.save(buffer)
    preview = await send_file(tuan, buffer.getvalue(), "ke-hoach-2026-12.xlsx")
    assert "Mới: 1" in preview and "Giữ nguyên: 4" in preview
    await tuan.press("✅ Xác nhận")
    await tuan.next_message()
    assert (await plans(app))[("GDAP-SHOPEE", "gmv", "2026-12")][0] == 90_000_000


async def test_plan_view_for_bod_and_not_found(
    app: BotUnderTest, tuan: SandboxUser, user_factory
) -> None:
    await send_file(tuan, workbook(FIRST_PLAN))
    await tuan.press("✅ Xác nhận")
    await tuan.next_message()
    board = user_factory(6007, "Bà Mai")
    await app.join(board, Role.BOD)
    view = await send_and_read(board, "/plan HS-TIKTOK 12/2026")
    assert "1.200.000.000 ₫" in view and "4.000 đơn" in view and "Tuấn" in view
    assert "Chưa có kế hoạch" in await send_and_read(board, "/plan HS-TIKTOK")  # November
    assert "Không tìm thấy" in await send_and_read(board, "/plan NOPE")
    assert "Chưa hiểu tháng" in await send_and_read(board, "/plan HS-TIKTOK tháng sau")
    assert "/plan template" not in await send_and_read(board, "/plan")


async def test_text_during_preview_gets_a_hint_and_cancel_works(
    app: BotUnderTest, tuan: SandboxUser
) -> None:
    await send_file(tuan, workbook(FIRST_PLAN))
    assert "Xác nhận" in await send_and_read(tuan, "ok lưu đi")
    assert "Đã huỷ" in await send_and_read(tuan, "/cancel")
    await asyncio.sleep(0)
    await tuan.press("✅ Xác nhận")
    assert "hết hiệu lực" in (await tuan.next_callback_answer()).text
    assert await plans(app) == {}
