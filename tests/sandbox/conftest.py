"""Fixtures for the sandbox tests: a running server, an aiogram Bot on it, raw HTTP access."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from sandbox_support import ALICE_ID, BOB_ID, RawApi

from bot.sandbox.client import SandboxUser
from bot.sandbox.server import SandboxServer


@pytest.fixture
async def server() -> AsyncIterator[SandboxServer]:
    sandbox = SandboxServer(seed=7)
    await sandbox.start()
    yield sandbox
    await sandbox.stop()


@pytest.fixture
async def bot(server: SandboxServer) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(server.base_url))
    client = Bot(
        server.token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML)
    )
    yield client
    await client.session.close()


@pytest.fixture
async def api(server: SandboxServer) -> AsyncIterator[RawApi]:
    async with aiohttp.ClientSession() as session:
        yield RawApi(session, server)


@pytest.fixture
def alice(server: SandboxServer) -> SandboxUser:
    return SandboxUser(server, ALICE_ID, "Alice", username="alice")


@pytest.fixture
def bob(server: SandboxServer) -> SandboxUser:
    return SandboxUser(server, BOB_ID, "Bob", language_code="en")
