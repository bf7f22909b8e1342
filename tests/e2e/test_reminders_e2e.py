"""Reminders and escalation end to end: the job queues, the sender delivers, the member taps a
store button, the report form opens for that store and date, and the escalation then leaves
them out."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from support.bot_harness import BotUnderTest, forge_callback
from support.outbox_delivery import deliver_outbox

from bot.roles import Role
from bot.sandbox.client import SandboxUser
from jobs.runner import run_job
from jobs.table import default_handlers
from storage.models import Report, Store

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
REMINDER_AT = datetime(2026, 11, 21, 10, 30, tzinfo=HCM)
ESCALATION_AT = datetime(2026, 11, 21, 11, 0, tzinfo=HCM)
BOD_CHAT = -1001000000001
FULL_REPORT = "gmv 12,5tr\nnmv 11tr\nđơn 85\nhủy 3\nhoàn 2\nlượt truy cập 3.200\nchi phí ads 1tr2"


async def run(app: BotUnderTest, job: str, at: datetime) -> None:
    app.clock.set(at)
    outcome = await run_job(app.db.session_factory, app.org, job, at, default_handlers())
    assert outcome.status == "done", outcome.text
    await deliver_outbox(app)


async def store_id(app: BotUnderTest, code: str) -> int:
    async with app.db.session_factory() as session:
        found = await session.scalar(select(Store.id).where(Store.code == code))
    assert found is not None
    return int(found)


@pytest.fixture
async def team(app: BotUnderTest, user_factory) -> dict[str, SandboxUser]:
    users = {
        "tuan": user_factory(6001, "Tuấn"),
        "minh": user_factory(6002, "Minh"),
        "hanh": user_factory(6003, "Hạnh"),
    }
    await app.join(users["tuan"], Role.MANAGER, "growth")
    await app.join(users["minh"], Role.STAFF, "growth", ("HS-SHOPEE", "HS-TIKTOK"))
    await app.join(users["hanh"], Role.STAFF, "growth", ("TTSG-Q1",))
    app.sandbox.register_group(BOD_CHAT, "Ban giám đốc")
    return users


async def test_reminder_button_opens_the_form_and_the_escalation_then_leaves_them_out(
    app: BotUnderTest, team: dict[str, SandboxUser]
) -> None:
    minh, hanh, tuan = team["minh"], team["hanh"], team["tuan"]
    await run(app, "reminder", REMINDER_AT)
    reminder = await minh.next_message()
    assert "Đến hạn báo cáo" in reminder.text and "20/11/2026" in reminder.text
    assert reminder.button_texts == ["📝 HS-SHOPEE", "📝 HS-TIKTOK"]
    assert "TTSG-Q1" in (await hanh.next_message()).text
    await tuan.assert_no_output(within=0.1)  # managers without stores owe nothing

    # Late, at 10:50, Minh taps a store: the form opens for that store and that date.
    app.clock.set(REMINDER_AT + timedelta(minutes=20))
    await minh.press("📝 HS-SHOPEE", reminder)
    question = await minh.next_message()
    assert "HS-SHOPEE" in question.text and "20/11/2026" in question.text
    await minh.send(FULL_REPORT)
    assert "Tóm tắt" in (await minh.next_message()).text
    await minh.press("✅ Xác nhận")
    assert "Đã lưu" in (await minh.next_message()).text

    await run(app, "escalation", ESCALATION_AT)
    escalation = await tuan.next_message()
    assert "Còn thiếu báo cáo ngày 20/11/2026" in escalation.text
    assert "Minh — HS-TIKTOK · 1 ngày liên tiếp" in escalation.text
    assert "HS-SHOPEE" not in escalation.text
    assert "Hạnh — TTSG-Q1" in escalation.text
    bod = app.sandbox.messages(BOD_CHAT)
    assert len(bod) == 1 and "Tăng trưởng: 1/7 (14%)" in bod[0]["text"]


async def test_a_reported_store_is_shown_for_correction(
    app: BotUnderTest, team: dict[str, SandboxUser]
) -> None:
    minh = team["minh"]
    await run(app, "reminder", REMINDER_AT)
    reminder = await minh.next_message()
    await minh.press("📝 HS-TIKTOK", reminder)
    await minh.next_message()
    await minh.send(FULL_REPORT)
    await minh.next_message()
    await minh.press("✅ Xác nhận")
    await minh.next_message()
    # The old reminder's button for the same store: the saved report, ready to correct.
    await minh.press("📝 HS-TIKTOK", reminder)
    already = await minh.next_message()
    assert "Đã có báo cáo ngày 20/11/2026" in already.text
    summary = await minh.next_message()
    assert "12.500.000 ₫" in summary.text and "✏️ Sửa" in summary.button_texts


async def test_forged_and_stale_reminder_buttons_open_nothing(
    app: BotUnderTest, team: dict[str, SandboxUser]
) -> None:
    minh = team["minh"]
    await run(app, "reminder", REMINDER_AT)
    reminder = await minh.next_message()
    assert reminder.message_id is not None
    foreign = await store_id(app, "TTSG-Q1")  # Hạnh's store
    forge_callback(app.sandbox, minh, reminder.message_id, f"rm:20261120:{foreign}")
    answer = await minh.next_callback_answer()
    assert "không còn phụ trách" in answer.text and answer.show_alert
    forge_callback(app.sandbox, minh, reminder.message_id, "rm:20261001:0")
    assert "quá hạn bổ sung" in (await minh.next_callback_answer()).text
    forge_callback(app.sandbox, minh, reminder.message_id, "rm:notadate:1")
    assert "hết hiệu lực" in (await minh.next_callback_answer()).text
    await minh.assert_no_output(within=0.2, kinds="message")
    # A week later the same button is past the staff backfill window (7 days).
    app.clock.set(REMINDER_AT + timedelta(days=8))
    await minh.press("📝 HS-SHOPEE", reminder)
    assert "quá hạn bổ sung" in (await minh.next_callback_answer()).text
    async with app.db.session_factory() as session:
        assert (await session.scalars(select(Report))).all() == []


async def test_a_member_who_blocked_the_bot_does_not_stop_the_others(
    app: BotUnderTest, team: dict[str, SandboxUser]
) -> None:
    team["minh"].block_bot()
    await run(app, "reminder", REMINDER_AT)
    assert "TTSG-Q1" in (await team["hanh"].next_message()).text
    minh = await app.member(6002)
    assert minh is not None and not minh.reachable
