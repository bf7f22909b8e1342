"""Scripted failures, as raw HTTP answers and as the errors aiogram raises for them."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import Message
from sandbox_support import ALICE_ID, RawApi

from bot.sandbox.client import SandboxUser
from bot.sandbox.faults import FaultInjector
from bot.sandbox.server import SandboxServer


@pytest.mark.usefixtures("alice")
async def test_429_body_then_recovers(api: RawApi, server: SandboxServer) -> None:
    server.faults.add(kind="429", method="sendMessage", retry_after=7)
    limited = await api.json("sendMessage", chat_id=ALICE_ID, text="hi")
    assert limited.status == 429
    assert limited.body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }
    assert (await api.json("sendMessage", chat_id=ALICE_ID, text="hi")).status == 200
    assert [name for name, _ in server.calls] == ["sendMessage", "sendMessage"]


@pytest.mark.usefixtures("alice")
async def test_aiogram_sees_retry_after_and_server_errors(bot: Bot, server: SandboxServer) -> None:
    server.faults.add("429", "sendMessage", retry_after=3)
    server.faults.add("500", "sendMessage")
    server.faults.add("502", "sendMessage")
    with pytest.raises(TelegramRetryAfter) as retry:
        await bot.send_message(ALICE_ID, "x")
    assert retry.value.retry_after == 3
    with pytest.raises(TelegramServerError, match="Internal Server Error"):
        await bot.send_message(ALICE_ID, "x")
    with pytest.raises(ClientDecodeError, match="502 Bad Gateway"):
        await bot.send_message(ALICE_ID, "x")
    assert (await bot.send_message(ALICE_ID, "x")).text == "x"


@pytest.mark.usefixtures("alice")
async def test_times_and_method_filter(api: RawApi, server: SandboxServer) -> None:
    rule = server.faults.add("500", times=2)
    assert (await api.json("getUpdates")).status == 200  # unnamed rules spare polling
    assert (await api.json("getMe")).status == 500
    assert (await api.json("sendMessage", chat_id=ALICE_ID, text="x")).status == 500
    assert (await api.json("getMe")).status == 200
    assert rule.hits == 2
    server.faults.add("500", method="getupdates")
    assert (await api.json("getUpdates")).status == 500
    server.faults.add("500", probability=1.0)
    server.faults.clear()
    assert (await api.json("getMe")).status == 200


def test_probability_is_deterministic_with_a_seed() -> None:
    def pattern(seed: int) -> list[bool]:
        faults = FaultInjector(seed)
        faults.add("500", probability=0.3)
        return [faults.pick("sendMessage") is not None for _ in range(200)]

    assert pattern(1) == pattern(1)
    assert pattern(1) != pattern(2)
    assert 30 < sum(pattern(1)) < 90


def test_bad_rules_are_refused() -> None:
    faults = FaultInjector()
    with pytest.raises(ValueError, match="unknown fault kind"):
        faults.add("418")
    with pytest.raises(ValueError, match="probability"):
        faults.add("500", probability=2)


@pytest.mark.usefixtures("alice")
async def test_slow_and_timeout(server: SandboxServer, bot: Bot) -> None:
    server.faults.add("slow", "sendMessage", delay=0.3)
    started = time.monotonic()
    await bot.send_message(ALICE_ID, "late")
    assert time.monotonic() - started >= 0.3
    server.faults.add("timeout", "sendMessage", delay=0.2)
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(ALICE_ID, "lost")
    short = Bot(
        server.token,
        session=AiohttpSession(api=TelegramAPIServer.from_base(server.base_url), timeout=0.3),
    )
    server.faults.add("timeout", "getMe")
    try:
        with pytest.raises(TelegramNetworkError, match="timeout"):
            await short.get_me()
    finally:
        await short.session.close()


async def test_polling_survives_a_failed_get_updates(
    bot: Bot, server: SandboxServer, alice: SandboxUser
) -> None:
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        await message.answer(f"echo {message.text}")

    server.faults.add("502", "getUpdates")
    task = asyncio.create_task(
        dispatcher.start_polling(
            bot, handle_signals=False, close_bot_session=False, polling_timeout=1
        )
    )
    try:
        await alice.send("ping")
        assert (await alice.next_message(timeout=5)).text == "echo ping"
    finally:
        await dispatcher.stop_polling()
        await asyncio.wait_for(task, 5)
