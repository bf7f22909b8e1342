"""Order requests end to end: the whole life of a banner request, and every refusal.

The harness clock is Saturday 2026-11-21 09:00 in Ho Chi Minh City. Notifications go through the
outbox; ``deliver_outbox`` runs the real sender once so they reach the sandbox users.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select
from support.bot_harness import MODES, BotUnderTest, forge_callback
from support.outbox_delivery import deliver_outbox

from bot.roles import Role
from bot.sandbox.client import BotOutput, SandboxUser
from bot.views.order_form import OrderFormCallback
from storage.models import OrderEvent, OrderRequest

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10" + b"\x00" * 64
SHOPEE_BUTTON = "HS-SHOPEE · Hoa Sen Official Store (Shopee)"


@dataclass
class Team:
    tuan: SandboxUser  # Growth lead (manager of growth): the requester
    lan: SandboxUser  # Design manager
    vy: SandboxUser  # designer
    khoa: SandboxUser  # Media manager: another department


@pytest.fixture
async def team(app: BotUnderTest, user_factory) -> Team:
    people = Team(
        tuan=user_factory(6001, "Tuấn"),
        lan=user_factory(6002, "Lan"),
        vy=user_factory(6003, "Vy"),
        khoa=user_factory(6004, "Khoa"),
    )
    await app.join(people.tuan, Role.MANAGER, "growth")
    await app.join(people.lan, Role.MANAGER, "design")
    await app.join(people.vy, Role.STAFF, "design")
    await app.join(people.khoa, Role.MANAGER, "media")
    return people


async def answer(user: SandboxUser, text: str) -> str:
    await user.send(text)
    return (await user.next_message()).text


async def press(user: SandboxUser, button: str, message: BotOutput | None = None) -> str:
    await user.press(button, message)
    return (await user.next_message()).text


async def fill_banner_form(user: SandboxUser) -> str:
    """Store, size, brief, due date, skip the optional link: returns the summary."""
    first = await answer(user, "/order")
    assert "Chọn loại yêu cầu" in first
    await user.press("Thiết kế banner")
    question = (await user.next_message()).text
    assert "(1/5)" in question and "Gian hàng" in question
    size = await press(user, SHOPEE_BUTTON)
    assert "✓ Gian hàng: HS-SHOPEE" in size and "(2/5)" in size
    brief = await press(user, "1200x1200")
    assert "(3/5)" in brief
    due = await answer(user, "Banner sale 12.12, tông đỏ")
    assert "(4/5)" in due and "25/11" in due  # an example date is shown
    link = await answer(user, "25/11 14h")
    assert "14:00 25/11/2026" in link and "(5/5)" in link
    return await press(user, "⏭ Bỏ qua")


async def events_of(app: BotUnderTest, order_id: int) -> list[tuple[str, str]]:
    await app.settled()
    async with app.db.session_factory() as session:
        rows = await session.scalars(
            select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
        )
        return [(e.action, e.to_status) for e in rows.all()]


async def order_row(app: BotUnderTest, order_id: int) -> OrderRequest:
    await app.settled()
    async with app.db.session_factory() as session:
        order = await session.get(OrderRequest, order_id)
        assert order is not None
        return order


async def notification(app: BotUnderTest, user: SandboxUser) -> BotOutput:
    await deliver_outbox(app)
    return await user.next_message()


@pytest.mark.parametrize("bot_mode", MODES)
async def test_the_whole_life_of_a_banner_request(app: BotUnderTest, team: Team) -> None:
    summary = await fill_banner_form(team.tuan)
    assert "Tóm tắt yêu cầu" in summary and "Thiết kế" in summary
    assert "HS-SHOPEE" in summary and "14:00 25/11/2026" in summary
    await team.tuan.press("📨 Gửi yêu cầu")
    receipt = (await team.tuan.next_message()).text
    assert "#1" in receipt and "Thiết kế" in receipt
    order = await order_row(app, 1)
    assert order.status == "submitted" and order.fields["size"] == "1200x1200"
    assert order.deadline is not None and order.deadline.hour == 7  # 14:00 local is 07:00 UTC

    # The Design manager gets the request with Approve / Reject / Assign.
    new = await notification(app, team.lan)
    assert "Yêu cầu mới #1" in new.text and "Tuấn" in new.text
    assert {"✅ Duyệt", "✖️ Từ chối", "👤 Giao việc"} <= set(new.button_texts)
    approved = await press(team.lan, "✅ Duyệt", new)
    assert "Bạn đã duyệt yêu cầu #1" in approved
    # Pressing the old Approve again: stale, says who acted and when, changes nothing.
    stale = await press(team.lan, "✅ Duyệt", new)
    assert "đã được xử lý" in stale and "Duyệt bởi Lan" in stale and "09:00 21/11" in stale
    assert (await notification(app, team.tuan)).text.startswith("✅ Yêu cầu #1 đã được Lan duyệt")

    await team.lan.press("👤 Giao việc")
    picker = await team.lan.next_message()
    assert "👤 Vy" in picker.button_texts and "👤 Lan" in picker.button_texts
    assert "👤 Khoa" not in picker.button_texts  # only the target department's members
    assigned = await press(team.lan, "👤 Vy", picker)
    assert "Đã giao yêu cầu #1" in assigned

    # The designer starts, then delivers a file (pressing Deliver twice changes nothing).
    task = await notification(app, team.vy)
    assert "#1" in task.text and "▶️ Bắt đầu" in task.button_texts
    assert "đã được Lan giao việc" in (await notification(app, team.tuan)).text
    started = await press(team.vy, "▶️ Bắt đầu", task)
    assert "Bạn đã bắt đầu" in started
    assert "Vy đã bắt đầu làm" in (await notification(app, team.tuan)).text
    ask = await press(team.vy, "📦 Giao kết quả")
    assert "Gửi kết quả yêu cầu #1" in ask
    again = await press(team.vy, "📦 Giao kết quả")
    assert "Đang chờ kết quả của yêu cầu #1" in again
    assert (await order_row(app, 1)).status == "in_progress"
    await team.vy.send_document("banner_v1.png", PNG)
    assert "Đã giao kết quả yêu cầu #1" in (await team.vy.next_message()).text

    # The requester gets the file with Accept / Reopen, and reopens with a reason.
    delivered = await notification(app, team.tuan)
    assert delivered.kind == "document" and delivered.data == PNG
    assert "Vy đã giao kết quả" in delivered.text
    assert {"👍 Nghiệm thu", "🔁 Làm lại"} <= set(delivered.button_texts)
    assert "Cần làm lại gì" in await press(team.tuan, "🔁 Làm lại", delivered)
    assert "Lý do quá ngắn" in await answer(team.tuan, "ok")
    assert "Đã gửi yêu cầu làm lại #1" in await answer(team.tuan, "Logo to hơn, nền sáng hơn")

    reopened = await notification(app, team.vy)
    assert "Logo to hơn, nền sáng hơn" in reopened.text
    assert "📦 Giao kết quả" in reopened.button_texts
    await press(team.vy, "📦 Giao kết quả", reopened)
    await team.vy.send_document("banner_v2.png", PNG + b"v2")
    assert "Đã giao kết quả" in (await team.vy.next_message()).text

    second = await notification(app, team.tuan)
    assert second.data == PNG + b"v2"
    assert "Bạn đã nghiệm thu yêu cầu #1" in await press(team.tuan, "👍 Nghiệm thu", second)
    assert "Tuấn nghiệm thu" in (await notification(app, team.vy)).text

    # A Deliver button from before is stale now.
    stale_deliver = await press(team.vy, "📦 Giao kết quả", reopened)
    assert "Nghiệm thu bởi Tuấn" in stale_deliver
    assert await events_of(app, 1) == [
        ("submit", "submitted"),
        ("approve", "approved"),
        ("assign", "assigned"),
        ("start", "in_progress"),
        ("deliver", "delivered"),
        ("reopen", "reopened"),
        ("deliver", "delivered"),
        ("accept", "accepted"),
    ]
    order = await order_row(app, 1)
    assert order.status == "accepted" and order.version == 8

    details = await answer(team.tuan, "/order 1")
    assert "Lịch sử" in details and "Logo to hơn" in details and "banner_v2.png" in details
    assert "Đã nghiệm thu" in details
    # Out of scope looks exactly like a missing request.
    assert await answer(team.khoa, "/order 1") == "Không tìm thấy yêu cầu #1."
    assert await answer(team.khoa, "/order 999") == "Không tìm thấy yêu cầu #999."


async def test_orders_tabs_show_each_persons_view(app: BotUnderTest, team: Team) -> None:
    await fill_banner_form(team.tuan)
    await team.tuan.press("📨 Gửi yêu cầu")
    await team.tuan.next_message()
    queue = await answer(team.lan, "/orders")
    assert "Hàng đợi phòng" in queue and "#1" in queue and "Chờ duyệt" in queue
    tabs = team.lan.last_message_with_buttons
    assert tabs is not None and "Tôi yêu cầu" in tabs.button_texts
    team.tuan.drain()  # the form's own edits
    await team.tuan.send("/orders")
    own = await team.tuan.next_message()
    assert "Hàng đợi phòng" in own.text and "Không có yêu cầu nào" in own.text  # growth queue
    await team.tuan.press("Tôi yêu cầu", own)
    edited = await team.tuan.next_edit()
    assert "#1" in edited.text and "Thiết kế banner" in edited.text
    overdue = await answer(team.vy, "/orders")
    assert "Không có yêu cầu nào" in overdue
    staff_tabs = team.vy.last_message_with_buttons
    assert staff_tabs is not None and "Hàng đợi phòng" not in staff_tabs.button_texts


async def test_approve_by_another_department_is_refused_then_rejected_with_a_reason(
    app: BotUnderTest, team: Team
) -> None:
    await fill_banner_form(team.tuan)
    await team.tuan.press("📨 Gửi yêu cầu")
    await team.tuan.next_message()
    new = await notification(app, team.lan)
    approve_data = new.callback_data("✅ Duyệt")
    assert approve_data is not None
    # The Media manager cannot even see a Design request: refused exactly like a missing one.
    own = await team.khoa.send("/help")
    await team.khoa.next_message()
    forge_callback(app.sandbox, team.khoa, own["message_id"], approve_data)
    assert (await team.khoa.next_message()).text == "Không tìm thấy yêu cầu #1."
    # The requester (Growth's manager) sees it but may not approve it.
    mine = await team.tuan.send("/help")
    await team.tuan.next_message()
    forge_callback(app.sandbox, team.tuan, mine["message_id"], approve_data)
    assert "Bạn không có quyền" in (await team.tuan.next_message()).text
    assert (await order_row(app, 1)).status == "submitted"
    assert await events_of(app, 1) == [("submit", "submitted")]

    # The Design manager, in the middle of her own /order, rejects with a reason; the requester
    # is told why, and her form is still there afterwards.
    types = await team.lan.send("/order")
    await team.lan.next_message()
    await team.lan.press("✖️ Từ chối", new)
    assert "Vì sao từ chối" in (await team.lan.next_message()).text
    assert "Đã từ chối yêu cầu #1" in await answer(team.lan, "Tuần này đã kín lịch")
    assert "tiếp tục" in (await team.lan.next_message()).text
    await team.lan.press("Quay dựng video", types["message_id"] + 1)
    assert "(1/6)" in (await team.lan.next_message()).text
    rejected = await notification(app, team.tuan)
    assert "bị Lan từ chối" in rejected.text and "Tuần này đã kín lịch" in rejected.text
    assert await events_of(app, 1) == [("submit", "submitted"), ("reject", "rejected")]


async def test_bad_answers_files_and_a_department_without_manager(
    app: BotUnderTest, team: Team, user_factory
) -> None:
    """KOC booking: unknown store, text for a number, past and too-soon dates, a bad file, a big
    file; then Booking has no manager: refused at submit, answers kept, sent once one joins."""
    await answer(team.tuan, "/order")
    await team.tuan.press("Booking KOC")
    await team.tuan.next_message()
    unknown = await answer(team.tuan, "XYZ-SHOP")
    assert "không có gian hàng «XYZ-SHOP»" in unknown and "Ví dụ" in unknown
    assert "(2/6)" in await answer(team.tuan, "hs-shopee")
    await answer(team.tuan, "Son môi Hoa Sen")
    not_number = await answer(team.tuan, "mười")
    assert "Số KOC" in not_number and "Ví dụ" in not_number
    assert "nhỏ nhất là 1" in await answer(team.tuan, "0")
    assert "(4/6)" in await answer(team.tuan, "12")
    assert "50.000.000 ₫" in await answer(team.tuan, "50tr")
    past = await answer(team.tuan, "20/11")
    assert "đã qua" in past and "Ví dụ" in past
    too_soon = await answer(team.tuan, "mai")
    assert "ít nhất 72 giờ" in too_soon and "09:00 24/11" in too_soon
    assert "không đọc được ngày" in await answer(team.tuan, "sau Tết")
    assert "(6/6)" in await answer(team.tuan, "thứ 6")
    await team.tuan.send_document("setup.exe", b"MZ" + b"\0" * 100)
    assert "loại tệp này không được nhận" in (await team.tuan.next_message()).text
    await team.tuan.send_document("brief.pdf", b"%PDF" + b"\0" * (21 * 1024 * 1024))
    assert "tệp quá lớn (tối đa 20 MB)" in (await team.tuan.next_message()).text
    await team.tuan.send_document("brief.pdf", b"%PDF-1.4 brief")
    summary = (await team.tuan.next_message()).text
    assert "Tóm tắt" in summary and "brief.pdf" in summary and "12" in summary

    await team.tuan.press("📨 Gửi yêu cầu")
    refused = (await team.tuan.next_message()).text
    assert "chưa có quản lý" in refused and "Booking" in refused
    async with app.db.session_factory() as session:
        assert (await session.scalars(select(OrderRequest))).all() == []

    booking_lead = user_factory(6005, "Hà")
    await app.join(booking_lead, Role.MANAGER, "booking")
    await team.tuan.press("📨 Gửi yêu cầu")
    assert "Đã gửi yêu cầu #1" in (await team.tuan.next_message()).text
    order = await order_row(app, 1)
    assert order.fields["koc_count"] == 12 and order.fields["budget"] == 50_000_000
    assert order.fields["brief_file"]["name"] == "brief.pdf"
    assert "Yêu cầu mới #1" in (await notification(app, booking_lead)).text


@pytest.mark.parametrize("bot_mode", MODES)
async def test_restart_mid_form_keeps_the_answers(app: BotUnderTest, team: Team) -> None:
    await answer(team.tuan, "/order")
    await team.tuan.press("Thiết kế banner")
    await team.tuan.next_message()
    await press(team.tuan, SHOPEE_BUTTON)
    await press(team.tuan, "1080x1920")
    await app.restart()
    due = await answer(team.tuan, "Banner dọc cho TikTok")
    assert "(4/5)" in due
    await answer(team.tuan, "thứ 6")
    summary = await press(team.tuan, "⏭ Bỏ qua")
    assert "HS-SHOPEE" in summary and "1080x1920" in summary and "Banner dọc" in summary
    assert "18:00 27/11/2026" in summary


async def test_unknown_inputs_in_the_form_get_an_example(app: BotUnderTest, team: Team) -> None:
    await answer(team.tuan, "/order")
    assert "chọn bằng các nút" in await answer(team.tuan, "banner")
    await team.tuan.press("Thiết kế banner")
    await team.tuan.next_message()
    await press(team.tuan, SHOPEE_BUTTON)
    await press(team.tuan, "1920x600")
    await answer(team.tuan, "Banner ngang")
    await answer(team.tuan, "30/11")
    bad_link = await answer(team.tuan, "not a link")
    assert "không phải đường link" in bad_link and "https://" in bad_link
    summary = await answer(team.tuan, "drive.google.com/file/abc")
    assert "https://drive.google.com/file/abc" in summary


async def test_back_from_the_summary_skip_refused_and_commands_mid_form(
    app: BotUnderTest, team: Team
) -> None:
    summary = await fill_banner_form(team.tuan)
    assert "Tóm tắt yêu cầu" in summary
    last = await press(team.tuan, "⬅️ Quay lại")  # from the summary: the last question
    assert "(5/5)" in last
    for number in (4, 3, 2, 1):
        assert f"({number}/5)" in await press(team.tuan, "⬅️ Quay lại")
    assert "câu hỏi đầu tiên" in await press(team.tuan, "⬅️ Quay lại")
    first = team.tuan.last_message_with_buttons
    assert first is not None and "⏭ Bỏ qua" not in first.button_texts
    back = OrderFormCallback.unpack(first.callback_data("⬅️ Quay lại") or "")
    skip = OrderFormCallback(rid=back.rid, action="skip").pack()  # forged: no Skip shown
    forge_callback(app.sandbox, team.tuan, first.message_id or 0, skip)
    await team.tuan.next_callback_answer()
    assert "bắt buộc" in (await team.tuan.next_message()).text
    # A command mid-form is never an answer: /orders runs, then the form goes on.
    assert "Hàng đợi phòng" in await answer(team.tuan, "/orders")
    assert "vẫn đang điền yêu cầu «Thiết kế banner»" in (await team.tuan.next_message()).text
    again = await press(team.tuan, SHOPEE_BUTTON, first)
    assert "Tóm tắt yêu cầu" in again  # every other answer was kept
