"""The outbox sender against the sandbox Bot API over HTTP, on every database backend.

Time is a fake clock that the sender's sleeps move forward, so limits and backoffs cost nothing.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiogram import Bot
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import create_bot
from bot.clock import FrozenClock
from bot.delivery import DrainReport, OutboxSender, Rate, RateLimits
from bot.delivery import sender as sender_module
from bot.delivery.payloads import document_payload, photo_payload
from bot.delivery.sender import MAX_ATTEMPTS
from bot.sandbox.server import SANDBOX_TOKEN, SandboxServer
from storage.database import Database
from storage.models import Department, Member, OutboxMessage
from storage.repositories import outbox

SF = async_sessionmaker[AsyncSession]
FAST = RateLimits(overall=Rate(100_000, 1.0), private_chat=Rate(100_000, 1.0))
GROUP = -100777


class FakeTime(FrozenClock):
    """A clock whose sleeps pass instantly, moving the clock instead."""

    async def sleep(self, seconds: float) -> None:
        self.advance(timedelta(seconds=seconds))
        # A little real time too, so that calls in flight (real HTTP) can finish meanwhile.
        await asyncio.sleep(0.001)


class SystemClockAt:
    """Real time passing, starting from a given instant."""

    def __init__(self, start: datetime) -> None:
        self._start = start
        self._began = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._began)


@pytest.fixture
def fake_time(clock: FrozenClock) -> FakeTime:
    return FakeTime(clock.now())


@pytest.fixture
async def server() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(seed=11) as sandbox:
        for user_id in range(1, 21):
            sandbox.register_user(user_id, f"User {user_id}")
        sandbox.register_group(GROUP, "Store 7")
        yield sandbox


@pytest.fixture
async def bot(server: SandboxServer) -> AsyncIterator[Bot]:
    client = create_bot(SANDBOX_TOKEN, server.base_url)
    yield client
    await client.session.close()


def sender_for(
    bot: Bot, db: Database, fake_time: FakeTime, limits: RateLimits = FAST
) -> OutboxSender:
    return OutboxSender(bot, db.session_factory, fake_time, limits=limits, sleep=fake_time.sleep)


async def put(
    db: Database, now: Any, key: str, chat_id: int, text: str, priority: int = 50, **extra: Any
) -> bool:
    payload = {"method": "send_message", "text": text, "parse_mode": "HTML", **extra}
    async with db.session_factory() as session, session.begin():
        return await outbox.enqueue(
            session,
            dedupe_key=key,
            chat_id=chat_id,
            kind="test",
            payload=payload,
            priority=priority,
            now=now,
        )


def record_send_times(
    monkeypatch: pytest.MonkeyPatch, fake_time: FakeTime
) -> dict[int, list[float]]:
    """When each delivered message's call started, per chat (the limits apply to calls; on the
    fake clock a call's arrival may be stamped after the sender has moved time on)."""
    sent_at: dict[int, list[float]] = defaultdict(list)
    real_deliver = sender_module.deliver

    async def timed_deliver(bot: Bot, chat_id: int, payload: Any, timeout: Any) -> object:
        started = fake_time.now().timestamp()
        result = await real_deliver(bot, chat_id, payload, timeout)
        sent_at[chat_id].append(started)
        return result

    monkeypatch.setattr(sender_module, "deliver", timed_deliver)
    return sent_at


async def drain_all(sender: OutboxSender, fake_time: FakeTime) -> DrainReport:
    """Drain, moving the clock to the next retry whenever nothing is due."""
    total = DrainReport()
    for _ in range(2000):  # retries fall due one by one: sends are spread 1/30 s apart
        report = await sender.drain_once()
        total.add(report)
        if report.handled:
            continue
        due = await sender.next_due()
        if due is None:
            return total
        assert due > fake_time.now(), "a due message was not taken"
        fake_time.set(due)
    raise AssertionError("the outbox never emptied")


async def rows(db: Database) -> list[OutboxMessage]:
    async with db.session_factory() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


def texts(server: SandboxServer, chat_id: int) -> list[str]:
    return [m["text"] for m in server.messages(chat_id)]


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


async def test_rate_limited_sends_are_retried_and_delivered_exactly_once(
    db: Database,
    server: SandboxServer,
    bot: Bot,
    fake_time: FakeTime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent_at = record_send_times(monkeypatch, fake_time)
    for i in range(20):
        await put(db, fake_time.now(), f"k{i}", 1 + i % 5, f"message {i}")
    server.faults.add("429", method="sendMessage", times=4, retry_after=3)

    report = await drain_all(sender_for(bot, db, fake_time), fake_time)

    assert report.sent == 20 and report.retried == 4 and report.failed == 0
    for chat in range(1, 6):
        assert sorted(texts(server, chat)) == sorted(f"message {i}" for i in range(chat - 1, 20, 5))
    assert all(row.status == "sent" and row.attempts == 1 for row in await rows(db))
    # The first four calls (chats 1-4) were refused: those chats waited out retry_after,
    # chat 5 was not held up meanwhile.
    start = min(sent_at[5])
    assert all(min(sent_at[chat]) >= start + 3 - 0.001 for chat in range(1, 5))
    assert max(sent_at[5]) < start + 3


async def test_server_errors_are_retried_with_backoff_until_all_are_delivered_once(
    db: Database, server: SandboxServer, bot: Bot, fake_time: FakeTime
) -> None:
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
    for chat in range(1, 21):
        got = Counter(texts(server, chat))
        assert got == Counter(f"note {i}" for i in range(chat - 1, 200, 20))
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


async def test_calls_run_concurrently_but_one_at_a_time_per_chat(
    db: Database, bot: Bot, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_flight: set[int] = set()
    peak = 0
    delivered: dict[int, list[str]] = defaultdict(list)

    async def fake_deliver(_bot: Bot, chat_id: int, payload: Any, _timeout: Any) -> None:
        nonlocal peak
        assert chat_id not in in_flight, "two calls in flight for one chat"
        in_flight.add(chat_id)
        peak = max(peak, len(in_flight))
        await asyncio.sleep(0.01)
        delivered[chat_id].append(payload["text"])
        in_flight.discard(chat_id)

    monkeypatch.setattr("bot.delivery.sender.deliver", fake_deliver)
    for i in range(3):
        for chat_id in range(1, 13):
            await put(db, fake_time.now(), f"{chat_id}-{i}", chat_id, f"m{i}")
    sender = OutboxSender(
        bot, db.session_factory, fake_time, limits=FAST, sleep=fake_time.sleep, concurrency=4
    )

    report = await sender.drain_once()

    assert report.sent == 36
    assert peak == 4
    assert all(delivered[chat_id] == ["m0", "m1", "m2"] for chat_id in range(1, 13))


async def test_two_senders_draining_at_once_send_each_row_once(
    db: Database, server: SandboxServer, bot: Bot, fake_time: FakeTime
) -> None:
    for i in range(60):
        await put(db, fake_time.now(), f"m{i}", 1 + i % 20, f"message {i}")
    first, second = sender_for(bot, db, fake_time), sender_for(bot, db, fake_time)

    reports = await asyncio.gather(first.drain_once(), second.drain_once())

    assert sum(report.sent for report in reports) == 60
    delivered = [text for chat_id in range(1, 21) for text in texts(server, chat_id)]
    assert sorted(delivered) == sorted(f"message {i}" for i in range(60))


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


async def test_default_limits_hold_per_chat_and_overall(
    db: Database,
    server: SandboxServer,
    bot: Bot,
    fake_time: FakeTime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent_at = record_send_times(monkeypatch, fake_time)
    now = fake_time.now()
    for i in range(25):
        await put(db, now, f"g{i}", GROUP, f"group {i}")
    for user_id in range(1, 21):
        for i in range(3):
            await put(db, now, f"p{user_id}-{i}", user_id, f"private {i}")

    report = await sender_for(bot, db, fake_time, RateLimits()).drain_once()

    assert report.sent == 85
    for user_id in range(1, 21):
        times = sent_at[user_id]
        assert len(times) == 3
        assert all(b - a >= 1.0 for a, b in itertools.pairwise(times))
    group = sent_at[GROUP]
    assert len(group) == 25
    assert all(group[i + 20] - group[i] >= 60.0 for i in range(5))
    everything = sorted(t for times in sent_at.values() for t in times)
    assert all(everything[i + 30] - everything[i] >= 1.0 for i in range(len(everything) - 30))
    # Private chats were not held up behind the group's per-minute limit.
    assert max(max(sent_at[u]) for u in range(1, 21)) - everything[0] < 10
    assert texts(server, GROUP) == [f"group {i}" for i in range(25)]


async def test_run_drains_until_stopped(
    db: Database, server: SandboxServer, bot: Bot, fake_time: FakeTime
) -> None:
    await put(db, fake_time.now(), "a", 8, "one")
    stop = asyncio.Event()
    sender = sender_for(bot, db, fake_time)
    task = asyncio.create_task(sender.run(stop, idle_sleep=0.05))
    for _ in range(100):
        if texts(server, 8):
            break
        await asyncio.sleep(0.02)
    await put(db, fake_time.now(), "b", 8, "two")
    for _ in range(100):
        if len(texts(server, 8)) == 2:
            break
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(task, 2)
    assert texts(server, 8) == ["one", "two"]


async def test_stopping_leaves_the_rest_queued_and_returns_at_once(
    db: Database, server: SandboxServer, bot: Bot, clock: FrozenClock
) -> None:
    for i in range(5):  # one chat: real limits let one message a second through
        await put(db, clock.now(), f"s{i}", 9, f"slow {i}")
    stop = asyncio.Event()
    sender = OutboxSender(bot, db.session_factory, SystemClockAt(clock.now()))
    task = asyncio.create_task(sender.run(stop, idle_sleep=0.05))
    for _ in range(100):
        if texts(server, 9):
            break
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(task, 2)

    assert texts(server, 9) == ["slow 0"]
    statuses = [row.status for row in await rows(db)]
    assert statuses.count("pending") == 4
    assert (await sender_for(bot, db, FakeTime(clock.now())).drain_once()).sent == 4


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


async def test_persistent_429_reschedules_without_counting_attempts(
    db: Database, server: SandboxServer, bot: Bot, fake_time: FakeTime
) -> None:
    server.faults.add("429", method="sendMessage", times=5, retry_after=7)
    await put(db, fake_time.now(), "flood", 10, "eventually")
    sender = sender_for(bot, db, fake_time)

    first = await sender.drain_once()

    assert first == DrainReport(retried=5)
    [row] = await rows(db)
    assert row.status == "pending" and row.attempts == 0
    assert row.not_before == fake_time.now() + timedelta(seconds=7)
    assert (await drain_all(sender, fake_time)).sent == 1
    assert texts(server, 10) == ["eventually"]


async def test_claimed_rows_are_leased_from_other_senders_and_released_after(
    db: Database, server: SandboxServer, bot: Bot, fake_time: FakeTime
) -> None:
    for i in range(3):
        await put(db, fake_time.now(), f"l{i}", 11, f"lease {i}")
    first = sender_for(bot, db, fake_time)
    claimed = await first._claim(2)  # as if a drain had started and was still sending
    second = sender_for(bot, db, fake_time)

    assert (await second.drain_once()).sent == 1  # only the unclaimed row
    await first._release(claimed)  # the drain ended without sending them
    assert (await second.drain_once()).sent == 2
    assert sorted(texts(server, 11)) == ["lease 0", "lease 1", "lease 2"]
