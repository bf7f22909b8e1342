"""End-to-end fixtures: the real bot against the sandbox, on every configured backend."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from support.bot_harness import BotUnderTest, Mode
from support.databases import DatabaseSpec

from bot.clock import FrozenClock
from bot.sandbox.client import SandboxUser
from bot.sandbox.server import SandboxServer


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    async with SandboxServer() as server:
        yield server


@pytest.fixture
def bot_mode() -> Mode:
    """How the bot takes updates; ``@pytest.mark.parametrize("bot_mode", MODES)`` runs a test
    in both modes."""
    return "polling"


@pytest.fixture
async def app(
    sandbox: SandboxServer, database_spec: DatabaseSpec, clock: FrozenClock, bot_mode: Mode
) -> AsyncIterator[BotUnderTest]:
    bot = BotUnderTest(sandbox, database_spec, clock, mode=bot_mode)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


@pytest.fixture
def user_factory(sandbox: SandboxServer) -> Iterator[Callable[..., SandboxUser]]:
    created: list[SandboxUser] = []

    def make(user_id: int, name: str, language: str = "vi") -> SandboxUser:
        user = SandboxUser(sandbox, user_id, name, None, language)
        created.append(user)
        return user

    yield make
    for user in created:
        user.close()
