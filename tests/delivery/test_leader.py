"""The outbox sender's leader lease: of several candidates on one database only the holder
sends; a released or expired lease is taken over within its length; a holder whose renewal
fails stops sending at once. Real time (leases of 3 s), the sandbox over HTTP, every backend.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from aiogram import Bot
from sqlalchemy import func, select, update
from support.sender_harness import FAST, put

from bot.clock import SystemClock
from bot.delivery import OutboxSender, Rate, RateLimits
from bot.delivery.leader import LEASE_NAME, SenderLeader
from bot.metrics import Metrics
from bot.sandbox.server import SandboxServer
from storage.database import Database
from storage.models import Lease, OutboxMessage
from storage.repositories import leases

LEASE = timedelta(seconds=3)
CLOCK = SystemClock()


@dataclass
class Candidate:
    leader: SenderLeader
    metrics: Metrics
    stop: asyncio.Event
    task: asyncio.Task[None]

    def sends(self) -> float:
        return self.metrics.sends.labels("ok")._value.get()

    async def halt(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, 10)


@pytest.fixture
async def candidates(db: Database, bot: Bot) -> AsyncIterator[list[Candidate]]:
    started: list[Candidate] = []
    yield started
    for candidate in started:
        if not candidate.task.done():
            await candidate.halt()


def start(
    db: Database,
    bot: Bot,
    pool: list[Candidate],
    name: str,
    limits: RateLimits = FAST,
) -> Candidate:
    metrics = Metrics()
    sender = OutboxSender(bot, db.session_factory, CLOCK, limits=limits, metrics=metrics)
    leader = SenderLeader(
        sender, db.session_factory, CLOCK, lease=LEASE, holder=name, metrics=metrics
    )
    stop = asyncio.Event()
    candidate = Candidate(leader, metrics, stop, asyncio.create_task(leader.run(stop)))
    pool.append(candidate)
    return candidate


async def until(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def all_sent(db: Database, timeout: float = 10.0) -> None:
    """Wait until no row is pending (a row is marked right after its call returns)."""
    deadline = time.monotonic() + timeout
    while await pending(db):
        assert time.monotonic() < deadline, "rows still pending"
        await asyncio.sleep(0.02)


async def pending(db: Database) -> int:
    async with db.session_factory() as session:
        query = select(func.count()).where(OutboxMessage.status == "pending")
        return int(await session.scalar(query) or 0)


async def queue(db: Database, prefix: str, count: int, chats: int = 20) -> None:
    for i in range(count):
        assert await put(db, CLOCK.now(), f"{prefix}-{i}", 1 + i % chats, f"{prefix} {i}")


def delivered(server: SandboxServer) -> list[str]:
    return [m["text"] for chat in range(1, 21) for m in server.messages(chat)]


async def test_only_the_lease_holder_sends(
    db: Database, bot: Bot, server: SandboxServer, candidates: list[Candidate]
) -> None:
    a, b = start(db, bot, candidates, "a"), start(db, bot, candidates, "b")
    await until(lambda: a.leader.leading or b.leader.leading)
    leader, other = (a, b) if a.leader.leading else (b, a)
    await until(lambda: other.leader.refused >= 2)  # it looked, and found the lease held

    await queue(db, "m", 60)
    await all_sent(db)

    assert leader.sends() == 60
    assert sorted(delivered(server)) == sorted(f"m {i}" for i in range(60))  # each once
    assert other.sends() == 0 and other.leader.terms == 0
    assert leader.metrics.sender_leader._value.get() == 1
    assert other.metrics.sender_leader._value.get() == 0


async def test_a_stopped_leader_hands_over_within_the_lease(
    db: Database, bot: Bot, server: SandboxServer, candidates: list[Candidate]
) -> None:
    a = start(db, bot, candidates, "a")
    await until(lambda: a.leader.leading)
    b = start(db, bot, candidates, "b")
    await until(lambda: b.leader.refused >= 1)

    released = time.monotonic()
    await a.halt()  # a clean stop releases the lease
    await until(lambda: b.leader.leading)
    assert time.monotonic() - released < LEASE.total_seconds()

    await queue(db, "after", 10)
    await all_sent(db)
    assert b.sends() == 10 and a.sends() == 0
    assert sorted(delivered(server)) == sorted(f"after {i}" for i in range(10))


async def test_a_dead_holders_lease_is_taken_when_it_ends_not_before(
    db: Database, bot: Bot, server: SandboxServer, candidates: list[Candidate]
) -> None:
    async with db.session_factory() as session, session.begin():
        state = await leases.acquire(session, LEASE_NAME, "dead", CLOCK.now(), LEASE)
    assert state.held and state.expires_at is not None
    await queue(db, "m", 5)

    b = start(db, bot, candidates, "b")
    await until(lambda: b.leader.leading)
    took_over = CLOCK.now()

    assert took_over >= state.expires_at  # never while the dead holder's lease ran
    assert took_over - state.expires_at < timedelta(seconds=1)
    await all_sent(db)
    assert b.sends() == 5
    assert sorted(delivered(server)) == sorted(f"m {i}" for i in range(5))


async def test_a_lease_released_at_this_instant_is_free_at_this_instant(db: Database) -> None:
    """A clean stop ends the lease "now": a process starting in the same instant (a frozen
    clock, or a restart within the clock's resolution) takes it instead of asking again and
    again until the clock moves."""
    now = CLOCK.now()
    async with db.session_factory() as session, session.begin():
        assert (await leases.acquire(session, LEASE_NAME, "a", now, LEASE)).held
        assert await leases.release(session, LEASE_NAME, "a", now)
    async with db.session_factory() as session, session.begin():
        state = await leases.acquire(session, LEASE_NAME, "b", now, LEASE)
    assert state.held and state.holder == "b"
    assert state.previous_until == now


async def test_a_leader_whose_renewal_fails_stops_sending_at_once(
    db: Database, bot: Bot, server: SandboxServer, candidates: list[Candidate]
) -> None:
    slow = RateLimits(overall=Rate(10, 1.0))  # 80 messages: 8 s if nothing stopped it
    await queue(db, "m", 80)
    a = start(db, bot, candidates, "a", limits=slow)
    await until(lambda: a.sends() >= 5)

    async with db.session_factory() as session, session.begin():  # another process took it
        await session.execute(
            update(Lease)
            .where(Lease.name == LEASE_NAME)
            .values(holder="thief", expires_at=CLOCK.now() + timedelta(minutes=5))
        )
    stolen = time.monotonic()
    await until(lambda: not a.leader.leading)  # its sender has finished by then
    assert time.monotonic() - stolen <= LEASE.total_seconds() / 3 + 1.0
    sent_when_stopped = a.sends()
    refused = a.leader.refused
    await until(lambda: a.leader.refused >= refused + 2)  # still a candidate, still refused

    assert a.sends() == sent_when_stopped
    assert a.leader.terms == 1
    assert len(delivered(server)) == sent_when_stopped < 80
    assert await pending(db) == 80 - sent_when_stopped  # the rest waits for the new holder


async def test_a_renewal_the_database_does_not_answer_stops_sending(
    db: Database,
    bot: Bot,
    server: SandboxServer,
    candidates: list[Candidate],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slow = RateLimits(overall=Rate(10, 1.0))
    await queue(db, "m", 80)
    a = start(db, bot, candidates, "a", limits=slow)
    await until(lambda: a.sends() >= 5)

    async def unreachable(*args: object, **kwargs: object) -> leases.LeaseState:
        raise ConnectionRefusedError("database down")

    monkeypatch.setattr(leases, "acquire", unreachable)
    await until(lambda: not a.leader.leading)
    sent_when_stopped = a.sends()

    assert len(delivered(server)) == sent_when_stopped < 80
    assert await pending(db) == 80 - sent_when_stopped
