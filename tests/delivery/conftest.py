"""Fixtures of the sender tests: the sandbox Bot API over HTTP, a bot talking to it, fake time."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from support.sender_harness import GROUP, FakeTime

from bot.app import create_bot
from bot.clock import FrozenClock
from bot.sandbox.server import SANDBOX_TOKEN, SandboxServer


@pytest.fixture
def fake_time(clock: FrozenClock) -> FakeTime:
    return FakeTime(clock.now())


@pytest.fixture
async def server(fake_time: FakeTime) -> AsyncIterator[SandboxServer]:
    # Arrivals are stamped with the test's clock: a call reaches the sandbox between its start
    # and its answer on that clock, as on a real one.
    async with SandboxServer(seed=11, now=lambda: fake_time.now().timestamp()) as sandbox:
        for user_id in range(1, 21):
            sandbox.register_user(user_id, f"User {user_id}")
        sandbox.register_group(GROUP, "Store 7")
        yield sandbox


@pytest.fixture
async def bot(server: SandboxServer) -> AsyncIterator[Bot]:
    client = create_bot(SANDBOX_TOKEN, server.base_url)
    yield client
    await client.session.close()
