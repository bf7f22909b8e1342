"""The outbox sender under test: queued rows, what the sandbox received, and a fake clock
that the sender's sleeps move forward, so limits and backoffs cost nothing."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiogram import Bot
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.delivery import DrainReport, OutboxSender, Rate, RateLimits
from bot.delivery import sender as sender_module
from bot.sandbox.server import SandboxServer
from storage.database import Database
from storage.models import OutboxMessage
from storage.repositories import outbox

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
