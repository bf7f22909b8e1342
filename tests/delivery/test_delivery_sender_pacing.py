"""The outbox sender's pace, on every database backend: Telegram's limits and 429s, calls in
flight, several senders sharing the queue, running until stopped.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
from collections import defaultdict
from datetime import timedelta
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import SendMessage
from support.sender_harness import (
    FAST,
    GROUP,
    FakeTime,
    SystemClockAt,
    drain_all,
    put,
    record_send_times,
    rows,
    sender_for,
    texts,
)

from bot.clock import FrozenClock
from bot.delivery import DrainReport, OutboxSender, RateLimits
from bot.sandbox.server import SandboxServer
from storage.database import Database


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


def busiest_second(times: list[float]) -> int:
    ordered = sorted(times)
    return max((bisect.bisect_left(ordered, t + 1.0) - i for i, t in enumerate(ordered)), default=0)


async def test_refused_calls_count_against_every_limit(
    db: Database, server: SandboxServer, bot: Bot, fake_time: FakeTime
) -> None:
    for user_id in range(21, 61):
        server.register_user(user_id, f"User {user_id}")
    for i in range(3):
        for user_id in range(1, 61):
            await put(db, fake_time.now(), f"r{user_id}-{i}", user_id, f"note {i}")
    server.faults.reseed(16)
    server.faults.add("429", method="sendMessage", probability=0.25, retry_after=2)

    report = await drain_all(sender_for(bot, db, fake_time, RateLimits()), fake_time)

    assert report.sent == 180
    assert all(texts(server, u) == ["note 0", "note 1", "note 2"] for u in range(1, 61))
    calls = server.arrivals_of("sendMessage")
    refused = [a for a in calls if a.status == 429]
    assert len(refused) > 30 and len(calls) == 180 + len(refused)
    # Telegram counts what reaches it, refused or not: never more than 30 in one second.
    assert busiest_second([a.at for a in calls]) <= 30
    by_chat: dict[int, list[float]] = defaultdict(list)
    for a in calls:
        by_chat[a.chat_id or 0].append(a.at)
    assert all(b - a >= 1.0 for times in by_chat.values() for a, b in itertools.pairwise(times))
    for a in refused:  # the chat waited out retry_after before its next call
        later = [t for t in by_chat[a.chat_id or 0] if t > a.at]
        assert not later or later[0] >= a.at + 2.0


async def test_many_chats_refused_at_once_slow_the_whole_pace_for_a_while(
    db: Database, bot: Bot, fake_time: FakeTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[float] = []

    async def flooded(_bot: Bot, chat_id: int, payload: Any, _timeout: Any) -> None:
        # An instant answer, so the test clock alone measures the pace.
        calls.append(fake_time.now().timestamp())
        if len(calls) <= 12:  # the first twelve chats are refused at once
            raise TelegramRetryAfter(SendMessage(chat_id=chat_id, text="x"), "flood", 1)

    monkeypatch.setattr("bot.delivery.sender.deliver", flooded)
    for user_id in range(100, 300):
        await put(db, fake_time.now(), f"b{user_id}", user_id, "broadcast")

    report = await drain_all(sender_for(bot, db, fake_time, RateLimits()), fake_time)

    assert report.sent == 200 and len(calls) == 212
    start = calls[0]
    per_second = [sum(1 for t in calls if start + s <= t < start + s + 1) for s in range(5)]
    assert per_second[1] <= 27  # slowed down after the refusals...
    assert per_second[4] == 30  # ...and back at the ceiling a few seconds later
