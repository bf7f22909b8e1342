"""The outbox sender against the sandbox Bot API over HTTP, on every database backend: what
goes out, in which order, and what happens to a message Telegram refuses.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiogram import Bot
from sqlalchemy import select
from support.sender_harness import (
    FAST,
    FakeTime,
    drain_all,
    put,
    rows,
    sender_for,
    texts,
)

from bot.delivery import DrainReport, OutboxSender
from bot.delivery.payloads import document_payload, photo_payload
from bot.delivery.sender import MAX_ATTEMPTS
from bot.sandbox.server import SANDBOX_TOKEN, SandboxServer
from storage.database import Database
from storage.models import Department, Member
from storage.repositories import outbox


async def test_messages_go_out_by_priority_and_dedupe_prevents_duplicates(
    db: Database, server: SandboxServer, bot: Bot, fake_time: FakeTime
) -> None:
    now = fake_time.now()
    keyboard = {"inline_keyboard": [[{"text": "Open", "callback_data": "open:1"}]]}
    assert await put(db, now, "digest", 1, "digest", priority=90)
    assert await put(db, now, "reminder", 1, "reminder", priority=50)
    assert await put(db, now, "alert", 1, "<b>alert</b>", priority=10, reply_markup=keyboard)
    assert await put(db, now, "alert-2", 1, "second alert", priority=10)
    assert not await put(db, now, "alert", 1, "alert again", priority=10)
    later = now + timedelta(hours=1)
    async with db.session_factory() as session, session.begin():
        await outbox.enqueue(
            session, dedupe_key="later", chat_id=1, kind="test",
            payload={"method": "send_message", "text": "later"}, now=now, not_before=later,
        )  # fmt: skip

    report = await sender_for(bot, db, fake_time).drain_once()

    assert report == DrainReport(sent=4)
    assert texts(server, 1) == ["alert", "second alert", "reminder", "digest"]
    first = server.messages(1)[0]
    assert first["reply_markup"] == keyboard
    assert [row.status for row in await rows(db)] == ["sent"] * 4 + ["pending"]
    assert (await sender_for(bot, db, fake_time).drain_once()).handled == 0  # nothing resent
    assert texts(server, 1)[-1] == "digest"


async def test_photos_and_documents_travel_in_the_outbox_row(
    db: Database, server: SandboxServer, bot: Bot, fake_time: FakeTime
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    sheet = b"PK\x03\x04 pretend workbook"
    keyboard = {"inline_keyboard": [[{"text": "Ack", "callback_data": "ack:1"}]]}
    async with db.session_factory() as session, session.begin():
        for key, payload in (
            ("chart", photo_payload(png, "<b>GMV</b> 92%", keyboard)),
            ("sheet", document_payload(sheet, "digest-2026-11.xlsx", "Monthly digest")),
        ):
            await outbox.enqueue(
                session, dedupe_key=key, chat_id=1, kind="digest", payload=payload,
                now=fake_time.now(),
            )  # fmt: skip

    assert await sender_for(bot, db, fake_time).drain_once() == DrainReport(sent=2)

    photo_msg, document_msg = server.messages(1)
    assert photo_msg["caption"] == "GMV 92%"
    assert photo_msg["reply_markup"] == keyboard
    assert server.file_bytes(photo_msg["photo"][-1]["file_id"]) == png
    assert document_msg["document"]["file_name"] == "digest-2026-11.xlsx"
    assert server.file_bytes(document_msg["document"]["file_id"]) == sheet


async def test_a_broken_file_payload_fails_for_good_without_blocking_others(
    db: Database, server: SandboxServer, bot: Bot, fake_time: FakeTime
) -> None:
    broken = {"method": "send_photo", "data_b64": "@@", "filename": "a.png"}
    await put(db, fake_time.now(), "bad", 1, "x", **broken)
    await put(db, fake_time.now(), "good", 1, "still sent")

    await sender_for(bot, db, fake_time).drain_once()

    assert texts(server, 1) == ["still sent"]
    bad = next(row for row in await rows(db) if row.dedupe_key == "bad")
    assert bad.status == "failed" and "base64" in (bad.last_error or "")


async def test_max_messages_caps_one_drain(
    db: Database, server: SandboxServer, bot: Bot, fake_time: FakeTime
) -> None:
    for i in range(5):
        await put(db, fake_time.now(), f"m{i}", 2, f"m{i}")
    sender = sender_for(bot, db, fake_time)
    assert (await sender.drain_once(max_messages=2)).sent == 2
    assert (await sender.drain_once()).sent == 3
    assert texts(server, 2) == [f"m{i}" for i in range(5)]


async def test_bad_request_fails_for_good_and_is_logged_with_the_row_id(
    db: Database,
    server: SandboxServer,
    bot: Bot,
    fake_time: FakeTime,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await put(db, fake_time.now(), "broken", 7, "<b>unclosed")
    await put(db, fake_time.now(), "unknown", 7, "x", method="send_hologram")
    await put(db, fake_time.now(), "fine", 7, "fine")

    report = await sender_for(bot, db, fake_time).drain_once()

    assert report == DrainReport(sent=1, failed=2)
    stored = await rows(db)
    assert [row.status for row in stored] == ["failed", "failed", "sent"]
    assert all(row.attempts == 1 for row in stored)
    assert f"outbox #{stored[0].id}" in caplog.text
    assert SANDBOX_TOKEN not in caplog.text
    assert texts(server, 7) == ["fine"]


async def test_server_errors_are_retried_with_backoff_until_all_are_delivered_once(
    db: Database,
    server: SandboxServer,
    bot: Bot,
    fake_time: FakeTime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Half the calls fail: with the usual 8 attempts some message out of 200 would be given up
    # now and then; this is about retrying, not about giving up.
    monkeypatch.setattr("bot.delivery.sender.MAX_ATTEMPTS", 20)
    server.faults.reseed(2026)
    server.faults.add("500", method="sendMessage", probability=0.3)
    server.faults.add("502", method="sendMessage", probability=0.3)
    async with db.session_factory() as session, session.begin():
        for i in range(200):
            await outbox.enqueue(
                session, dedupe_key=f"n{i}", chat_id=1 + i % 20, kind="test",
                payload={"method": "send_message", "text": f"note {i}"}, now=fake_time.now(),
            )  # fmt: skip

    report = await drain_all(sender_for(bot, db, fake_time), fake_time)

    assert report.sent == 200 and report.failed == 0 and report.retried > 40
    for chat in range(1, 21):  # each once, and a message put off is never overtaken
        assert texts(server, chat) == [f"note {i}" for i in range(chat - 1, 200, 20)]
    stored = await rows(db)
    assert all(row.status == "sent" for row in stored)
    assert max(row.attempts for row in stored) > 1


async def test_gives_up_after_max_attempts_with_growing_backoff(
    db: Database, server: SandboxServer, bot: Bot, fake_time: FakeTime
) -> None:
    start = fake_time.now()
    server.faults.add("500", method="sendMessage", times=50)
    await put(db, start, "doomed", 3, "never")

    report = await drain_all(sender_for(bot, db, fake_time), fake_time)

    assert report == DrainReport(retried=MAX_ATTEMPTS - 1, failed=1)
    [row] = await rows(db)
    assert row.status == "failed" and row.attempts == MAX_ATTEMPTS
    assert "TelegramServerError" in (row.last_error or "")
    assert fake_time.now() - start == timedelta(seconds=1 + 2 + 4 + 8 + 16 + 32 + 64)
    assert texts(server, 3) == []


async def test_a_hanging_request_times_out_and_is_retried(
    db: Database, server: SandboxServer, bot: Bot, fake_time: FakeTime
) -> None:
    server.faults.add("timeout", method="sendMessage", delay=5)
    await put(db, fake_time.now(), "slow", 9, "late but once")
    sender = OutboxSender(
        bot, db.session_factory, fake_time, limits=FAST, sleep=fake_time.sleep, request_timeout=1
    )

    report = await drain_all(sender, fake_time)

    assert report == DrainReport(sent=1, retried=1)
    assert texts(server, 9) == ["late but once"]
    [row] = await rows(db)
    assert row.attempts == 2 and "TelegramNetworkError" in (row.last_error or "")


async def test_blocked_user_is_marked_unreachable_and_the_rest_still_go_out(
    db: Database, server: SandboxServer, bot: Bot, fake_time: FakeTime
) -> None:
    now = fake_time.now()
    async with db.session_factory() as session, session.begin():
        for user_id in (4, 5):
            session.add(Member(telegram_id=user_id, full_name=f"U{user_id}", role="staff",
                               joined_at=now))  # fmt: skip
    server.block_user(4)
    for user_id in (4, 5, 6):
        await put(db, now, f"r{user_id}", user_id, f"hi {user_id}")

    report = await sender_for(bot, db, fake_time).drain_once()

    assert report == DrainReport(sent=2, unreachable=1)
    assert texts(server, 4) == [] and texts(server, 5) == ["hi 5"] and texts(server, 6) == ["hi 6"]
    status = {row.chat_id: row.status for row in await rows(db)}
    assert status == {4: "failed", 5: "sent", 6: "sent"}
    async with db.session_factory() as session:
        result = await session.execute(select(Member.telegram_id, Member.reachable))
        reach = {telegram_id: reachable for telegram_id, reachable in result.all()}
    assert reach == {4: False, 5: True}
    assert await sender_for(bot, db, fake_time).next_due() is None  # nothing retried


async def test_a_blocked_member_s_manager_is_told_once(
    db: Database, server: SandboxServer, bot: Bot, fake_time: FakeTime
) -> None:
    now = fake_time.now()
    async with db.session_factory() as session, session.begin():
        team = Department(code="growth", name_vi="Tăng trưởng", name_en="Growth")
        session.add(team)
        await session.flush()
        for user_id, role in ((4, "staff"), (5, "manager")):
            session.add(Member(telegram_id=user_id, full_name=f"Bạn {user_id}", role=role,
                               department_id=team.id, joined_at=now))  # fmt: skip
    server.block_user(4)
    for i in range(3):
        await put(db, now, f"r{i}", 4, f"reminder {i}")

    report = await sender_for(bot, db, fake_time).drain_once()
    await sender_for(bot, db, fake_time).drain_once()

    assert report.unreachable == 3 and report.sent == 1
    notices = texts(server, 5)
    assert len(notices) == 1
    assert "Bạn 4" in notices[0] and "chặn bot" in notices[0]
