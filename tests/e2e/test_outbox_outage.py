"""Stale messages after a long outage, and forum topics, end to end: the real jobs queue, the
clock jumps, the real sender delivers to the sandbox."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from support.bot_harness import BotUnderTest
from support.outbox_delivery import deliver_outbox

from bot.org.sections import Chats
from bot.roles import Role
from bot.sandbox.client import SandboxUser
from jobs.runner import run_job
from jobs.table import default_handlers
from storage.models import OutboxMessage

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
NUDGE_AT = datetime(2026, 11, 21, 9, 45, tzinfo=HCM)
REMINDER_AT = datetime(2026, 11, 21, 10, 30, tzinfo=HCM)
ESCALATION_AT = datetime(2026, 11, 21, 11, 0, tzinfo=HCM)
BOD_CHAT = -1001000000001
TOPIC = 7


async def queue(app: BotUnderTest, job: str, at: datetime) -> None:
    """Run a job with nothing delivered: the bot is offline."""
    app.clock.set(at)
    outcome = await run_job(app.db.session_factory, app.org, job, at, default_handlers())
    assert outcome.status == "done", outcome.text


async def rows(app: BotUnderTest) -> list[OutboxMessage]:
    async with app.db.session_factory() as session:
        found = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return list(found.all())


def from_bot(app: BotUnderTest, chat_id: int) -> list[dict]:
    return [m for m in app.sandbox.messages(chat_id) if m["from"]["id"] == app.sandbox.bot_id]


def texts(app: BotUnderTest, chat_id: int) -> list[str]:
    """What the bot said in the chat since the team joined (their welcome left out)."""
    said = [m.get("text") or m.get("caption") or "" for m in from_bot(app, chat_id)]
    return said[JOINED.get(chat_id, 0) :]


JOINED: dict[int, int] = {}


@pytest.fixture
async def team(app: BotUnderTest, user_factory) -> dict[str, SandboxUser]:
    users = {
        "tuan": user_factory(6101, "Tuấn"),
        "minh": user_factory(6102, "Minh"),
        "hanh": user_factory(6103, "Hạnh", "en"),
    }
    await app.join(users["tuan"], Role.MANAGER, "growth")
    await app.join(users["minh"], Role.STAFF, "growth", ("HS-SHOPEE", "HS-TIKTOK"))
    await app.join(users["hanh"], Role.STAFF, "growth", ("TTSG-Q1",))
    app.sandbox.register_group(BOD_CHAT, "Ban giám đốc")
    JOINED.clear()
    JOINED.update({u.user_id: len(from_bot(app, u.user_id)) for u in users.values()})
    return users


async def test_after_a_six_hour_outage_each_member_gets_one_summary_and_no_stale_reminder(
    app: BotUnderTest, team: dict[str, SandboxUser]
) -> None:
    minh, hanh, tuan = team["minh"], team["hanh"], team["tuan"]
    await queue(app, "nudge", NUDGE_AT)
    await queue(app, "reminder", REMINDER_AT)
    await queue(app, "escalation", ESCALATION_AT)
    app.clock.set(ESCALATION_AT + timedelta(hours=6))  # 17:00: back online

    await deliver_outbox(app)

    # The nudge and the reminder went stale (deadline 10:30, grace window 2 h): one summary.
    [summary] = texts(app, minh.user_id)
    assert "Trong lúc bot tạm ngừng" in summary
    assert "Nhắc báo cáo ngày 20/11/2026" in summary and "Đến hạn báo cáo" not in summary
    [english] = texts(app, hanh.user_id)
    assert "While the bot was offline" in english and "Report reminder for 20/11/2026" in english
    # The escalation is about today: still worth sending, late.
    [escalation] = texts(app, tuan.user_id)
    assert "Còn thiếu báo cáo ngày 20/11/2026" in escalation
    assert len(texts(app, BOD_CHAT)) == 1

    await deliver_outbox(app)  # nothing is said twice
    assert [len(texts(app, u.user_id)) for u in (minh, hanh, tuan)] == [1, 1, 1]
    by_kind: dict[str, list[str]] = {}
    for row in await rows(app):
        by_kind.setdefault(row.kind, []).append(row.status)
    assert by_kind["nudge"] == ["expired", "expired"]  # kept for audit, never sent
    assert by_kind["reminder"] == ["expired", "expired"]
    assert by_kind["missed"] == ["sent", "sent"]
    assert by_kind["escalation"] == ["sent", "sent"]


async def test_yesterday_s_escalation_is_not_sent_the_next_morning(
    app: BotUnderTest, team: dict[str, SandboxUser]
) -> None:
    app.org = app.org.model_copy(update={"chats": Chats(bod=BOD_CHAT, bod_topic=TOPIC)})
    await queue(app, "escalation", ESCALATION_AT)
    app.clock.set(ESCALATION_AT + timedelta(hours=14))  # 01:00 the next day

    await deliver_outbox(app)

    [summary] = texts(app, team["tuan"].user_id)
    assert "Danh sách chưa báo cáo ngày 20/11/2026" in summary
    [board] = from_bot(app, BOD_CHAT)
    assert "Trong lúc bot tạm ngừng" in board["text"]
    assert board["message_thread_id"] == TOPIC  # the summary goes where the message would have
    assert {row.status for row in await rows(app) if row.kind == "escalation"} == {"expired"}


async def test_every_message_to_the_board_goes_to_its_topic(
    app: BotUnderTest, team: dict[str, SandboxUser]
) -> None:
    app.org = app.org.model_copy(update={"chats": Chats(bod=BOD_CHAT, bod_topic=TOPIC)})
    await queue(app, "escalation", ESCALATION_AT)
    await deliver_outbox(app)
    await queue(app, "monthly_digest", datetime(2026, 12, 1, 9, 0, tzinfo=HCM))
    await deliver_outbox(app)

    board = from_bot(app, BOD_CHAT)
    assert {"text" if "text" in m else "photo" for m in board} == {"text", "photo"}
    assert all(m.get("message_thread_id") == TOPIC for m in board)
    assert all(m.get("is_topic_message") for m in board)
    # Private chats have no topics: the manager's escalation is a plain message.
    escalation = from_bot(app, team["tuan"].user_id)[-1]
    assert "Còn thiếu báo cáo" in escalation["text"] and "message_thread_id" not in escalation


async def test_a_reminder_run_by_hand_a_day_late_keeps_its_lifetime(
    app: BotUnderTest, team: dict[str, SandboxUser]
) -> None:
    late = REMINDER_AT + timedelta(days=1)
    app.clock.set(late)
    outcome = await run_job(
        app.db.session_factory, app.org, "reminder", REMINDER_AT, default_handlers(), now=late
    )
    assert outcome.status == "done", outcome.text

    await deliver_outbox(app)

    [reminder] = texts(app, team["minh"].user_id)
    assert "Đến hạn báo cáo" in reminder and "20/11/2026" in reminder
    # Its grace window (2 hours after the deadline) counts from the run, not from the day before.
    [row, _] = [r for r in await rows(app) if r.kind == "reminder"]
    assert row.expires_at == late + timedelta(hours=2)
