"""The running bot drains the outbox by itself and catches up missed jobs when it starts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from support.bot_harness import BotUnderTest
from support.databases import DatabaseSpec

from bot.app import BotOptions
from bot.clock import FrozenClock
from bot.delivery.payloads import message_payload
from bot.sandbox.client import SandboxUser
from bot.sandbox.server import SandboxServer
from storage.models import JobRun
from storage.repositories import outbox

LIVE = BotOptions(polling_timeout=1, run_scheduler=True, deliver_outbox=True)


@pytest.fixture
async def live_app(
    sandbox: SandboxServer, database_spec: DatabaseSpec, clock: FrozenClock
) -> AsyncIterator[BotUnderTest]:
    # 10:45 in Ho Chi Minh City: the 10:30 reminder was missed, the 11:00 escalation not yet due.
    clock.set(datetime(2026, 11, 21, 3, 45, tzinfo=UTC))
    bot = BotUnderTest(sandbox, database_spec, clock, LIVE)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


async def test_queued_messages_are_delivered_without_anyone_draining(
    live_app: BotUnderTest, sandbox: SandboxServer, clock: FrozenClock
) -> None:
    user = SandboxUser(sandbox, 7001, "Lan")
    async with live_app.db.session_factory() as session, session.begin():
        await outbox.enqueue(
            session, dedupe_key="hello", chat_id=7001, kind="test",
            payload=message_payload("<b>Xin chào</b>"), now=clock.now(),
        )  # fmt: skip

    received = await user.next_message(timeout=10)

    assert received.text == "Xin chào"
    for _ in range(100):  # the row is marked right after Telegram's answer
        async with live_app.db.session_factory() as session:
            row = await outbox.get_by_dedupe_key(session, "hello")
        if row is not None and row.status == outbox.SENT:
            break
        await asyncio.sleep(0.05)
    assert row is not None and row.status == outbox.SENT


async def test_missed_jobs_within_the_grace_window_run_on_start(live_app: BotUnderTest) -> None:
    async with live_app.db.session_factory() as session:
        runs = {(r.job, r.period) for r in (await session.scalars(select(JobRun))).all()}

    assert ("reminder", "2026-11-21") in runs
    assert not any(job == "escalation" for job, _ in runs)  # 11:00 has not come yet
