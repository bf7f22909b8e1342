"""setWebhook, deleteWebhook, getWebhookInfo and getUpdates' conflict, as Telegram answers them."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator

import pytest
import typer
from aiogram import Bot, Dispatcher
from aiogram.methods import SendMessage
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from sandbox_support import RawApi
from typer.testing import CliRunner
from webhook_receiver import Received, Receiver, free_port, wait_until

from bot.sandbox.cli import sandbox_command
from bot.sandbox.client import SandboxUser
from bot.sandbox.server import SandboxServer

WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    endpoint = Receiver()
    await endpoint.start()
    yield endpoint
    await endpoint.stop()


async def test_updates_are_posted_as_json_with_the_secret_header(
    server: SandboxServer, api: RawApi, receiver: Receiver, alice: SandboxUser
) -> None:
    reply = await api.json("setWebhook", url=receiver.url, secret_token="s3cret_TOKEN-1")
    assert reply.body == {"ok": True, "result": True, "description": "Webhook was set"}
    await api.json(
        "sendMessage",
        chat_id=alice.user_id,
        text="pick",
        reply_markup={"inline_keyboard": [[{"text": "Yes", "callback_data": "y"}]]},
    )
    await alice.send("hello")
    await alice.press("Yes")
    await server.webhook_idle(5)

    first, second = receiver.received
    assert first.update["message"]["text"] == "hello"
    assert second.update["callback_query"]["data"] == "y"
    assert [item.headers["X-Telegram-Bot-Api-Secret-Token"] for item in receiver.received] == [
        "s3cret_TOKEN-1",
        "s3cret_TOKEN-1",
    ]
    assert {item.content_type for item in receiver.received} == {"application/json"}
    assert [(d.update_id, d.outcome) for d in server.webhook_deliveries] == [
        (first.update_id, 200),
        (second.update_id, 200),
    ]
    assert (await api.json("getWebhookInfo")).result["pending_update_count"] == 0


async def test_no_secret_header_without_a_secret_token(
    server: SandboxServer, api: RawApi, receiver: Receiver, alice: SandboxUser
) -> None:
    await api.json("setWebhook", url=receiver.url)
    await alice.send("hi")
    await server.webhook_idle(5)
    [item] = receiver.received
    assert "X-Telegram-Bot-Api-Secret-Token" not in item.headers
    assert item.update["message"]["text"] == "hi"


async def test_get_updates_is_refused_while_a_webhook_is_set(
    api: RawApi, receiver: Receiver
) -> None:
    await api.json("setWebhook", url=receiver.url)
    reply = await api.json("getUpdates", timeout=0)
    assert reply.status == 409
    assert reply.body == {"ok": False, "error_code": 409, "description": WEBHOOK_ACTIVE}
    assert (await api.json("deleteWebhook")).body["description"] == "Webhook was deleted"
    assert (await api.json("getUpdates", timeout=0)).result == []


async def test_set_webhook_ends_a_waiting_long_poll(
    server: SandboxServer, api: RawApi, receiver: Receiver
) -> None:
    poll = asyncio.create_task(api.json("getUpdates", timeout=10))
    await wait_until(lambda: bool(server.calls_to("getUpdates")))  # the poll is waiting
    await api.json("setWebhook", url=receiver.url)
    ended = await asyncio.wait_for(poll, 2)
    assert ended.status == 409
    assert ended.description == "Conflict: terminated by setWebhook request"


async def test_webhook_info_fields(
    server: SandboxServer, api: RawApi, receiver: Receiver, alice: SandboxUser
) -> None:
    await alice.send("waiting")
    assert (await api.json("getWebhookInfo")).result == {
        "url": "",
        "has_custom_certificate": False,
        "pending_update_count": 1,
    }
    release = asyncio.Event()
    answers = iter([500])

    async def respond(received: Received) -> web.StreamResponse:
        status = next(answers, 200)
        if status == 200:
            await release.wait()
        return web.Response(status=status)

    receiver.respond = respond
    await api.json("setWebhook", url=receiver.url, max_connections=7, allowed_updates=["message"])
    # The first POST fails and the receiver holds the retry: in flight still counts as pending.
    await wait_until(lambda: len(receiver.received) == 2)
    info = (await api.json("getWebhookInfo")).result
    assert info["url"] == receiver.url
    assert info["has_custom_certificate"] is False
    assert info["max_connections"] == 7
    assert info["pending_update_count"] == 1
    assert info["allowed_updates"] == ["message"]
    assert (
        info["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"
    )
    assert abs(info["last_error_date"] - server.store.now()) <= 2
    release.set()
    await server.webhook_idle(5)
    info = (await api.json("getWebhookInfo")).result
    assert info["pending_update_count"] == 0
    # Telegram keeps the last error after later successes.
    assert info["last_error_message"].endswith("500 Internal Server Error")


async def test_set_webhook_validation_and_answers(api: RawApi, receiver: Receiver) -> None:
    bad = await api.json("setWebhook", url=receiver.url, secret_token="no spaces")
    assert bad.status == 400
    assert bad.description == "Bad Request: secret token contains unallowed characters"
    long = await api.json("setWebhook", url=receiver.url, secret_token="a" * 257)
    assert long.description == "Bad Request: secret token is too long"
    for url in ("ftp://example.com/hook", "not a url", "https://"):
        wrong = await api.json("setWebhook", url=url)
        assert wrong.status == 400, url
        assert wrong.description == "Bad Request: invalid webhook URL specified"
    assert (await api.json("getWebhookInfo")).result["url"] == ""

    longest = await api.json("setWebhook", url=receiver.url, secret_token="a" * 256)
    assert longest.body["description"] == "Webhook was set"
    same = await api.json("setWebhook", url=receiver.url, secret_token="a" * 256)
    assert same.body["description"] == "Webhook is already set"
    await api.json("setWebhook", url=receiver.url, max_connections=0)
    assert (await api.json("getWebhookInfo")).result["max_connections"] == 1
    await api.json("setWebhook", url=receiver.url, max_connections=1000)
    assert (await api.json("getWebhookInfo")).result["max_connections"] == 100
    await api.json("setWebhook", url=receiver.url)
    assert (await api.json("getWebhookInfo")).result["max_connections"] == 40

    removed = await api.json("setWebhook", url="")
    assert removed.body == {"ok": True, "result": True, "description": "Webhook was deleted"}
    assert (await api.json("getWebhookInfo")).result["url"] == ""
    again = await api.json("deleteWebhook")
    assert again.body["description"] == "Webhook is already deleted"


async def test_updates_queued_while_polling_go_to_the_webhook_in_order(
    server: SandboxServer, api: RawApi, receiver: Receiver, alice: SandboxUser
) -> None:
    for text in ("one", "two", "three"):
        await alice.send(text)
    await api.json("setWebhook", url=receiver.url)
    await server.webhook_idle(5)
    assert [item.update["message"]["text"] for item in receiver.received] == [
        "one",
        "two",
        "three",
    ]
    assert receiver.update_ids == sorted(receiver.update_ids)


async def test_drop_pending_updates_on_set_and_delete(
    server: SandboxServer, api: RawApi, receiver: Receiver, alice: SandboxUser
) -> None:
    await alice.send("stale")
    await api.json("setWebhook", url=receiver.url, drop_pending_updates=True)
    assert (await api.json("getWebhookInfo")).result["pending_update_count"] == 0
    await alice.send("fresh")
    await server.webhook_idle(5)
    assert [item.update["message"]["text"] for item in receiver.received] == ["fresh"]

    await api.json("deleteWebhook")
    await alice.send("queued")
    await api.json("deleteWebhook", drop_pending_updates=True)
    assert (await api.json("getUpdates", timeout=0)).result == []


async def test_delete_webhook_gives_undelivered_updates_back_to_get_updates(
    server: SandboxServer, api: RawApi, receiver: Receiver, alice: SandboxUser
) -> None:
    async def refuse(received: Received) -> web.StreamResponse:
        return web.Response(status=503)

    receiver.respond = refuse
    await api.json("setWebhook", url=receiver.url)
    await alice.send("a")
    await alice.send("b")
    await wait_until(lambda: len(server.webhook_deliveries) >= 2)
    assert (await api.json("deleteWebhook")).result is True
    info = (await api.json("getWebhookInfo")).result
    assert info["url"] == "" and info["pending_update_count"] == 2
    updates = (await api.json("getUpdates", timeout=0)).result
    assert [u["message"]["text"] for u in updates] == ["a", "b"]
    delivered = len(receiver.received)
    await alice.send("c")
    # Delivery has stopped: the new update waits for getUpdates, not for the receiver.
    polled = (await api.json("getUpdates", offset=updates[-1]["update_id"] + 1, timeout=2)).result
    assert [u["message"]["text"] for u in polled] == ["c"]
    assert len(receiver.received) == delivered


async def test_a_method_in_the_webhook_answer_is_executed(
    server: SandboxServer, api: RawApi, receiver: Receiver, alice: SandboxUser
) -> None:
    async def reply(received: Received) -> web.StreamResponse:
        call = {"method": "sendMessage", "chat_id": alice.user_id, "text": "<b>pong</b>"}
        return web.json_response({**call, "parse_mode": "HTML"})

    receiver.respond = reply
    await api.json("setWebhook", url=receiver.url)
    await alice.send("ping")
    await server.webhook_idle(5)
    answer = await alice.next_message(timeout=2)
    assert answer.text == "pong"
    assert server.calls_to("sendMessage")[-1]["text"] == "<b>pong</b>"


async def test_aiogram_manages_the_webhook(
    server: SandboxServer, bot: Bot, receiver: Receiver, alice: SandboxUser
) -> None:
    assert await bot.set_webhook(receiver.url, secret_token="abc", max_connections=5)
    await alice.send("via aiogram")
    await server.webhook_idle(5)
    info = await bot.get_webhook_info()
    assert info.url == receiver.url
    assert info.max_connections == 5
    assert info.pending_update_count == 0
    assert info.last_error_date is None
    assert await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == ""


async def test_sandbox_command_delivers_to_a_webhook() -> None:
    receiver = Receiver(port=free_port())  # not listening yet: the terminal shows the trouble
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "bot", "sandbox", "--port", "0", "--user-id", "1001"),
        *("--webhook-url", receiver.url, "--webhook-secret", "cli-secret"),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdin is not None and proc.stdout is not None
    stdout = proc.stdout

    async def read_until(needle: str) -> str:
        seen = ""
        async with asyncio.timeout(15):
            while needle not in seen:
                line = await stdout.readline()
                assert line, f"sandbox exited early: {seen}"
                seen += line.decode()
        return seen

    try:
        banner = await read_until("You are")
        assert f"Updates go to the webhook {receiver.url}" in banner
        assert f"WEBHOOK_SECRET=cli-secret OPSBOT_HTTP_PORT={receiver.port}" in banner
        proc.stdin.write(b"typed in the terminal\n")
        await proc.stdin.drain()
        await read_until("(webhook: Connection refused; the sandbox keeps retrying)")
        await receiver.start()
        await read_until("(webhook: delivering again)")
        [item] = receiver.received
        assert item.update["message"]["text"] == "typed in the terminal"
        assert item.headers["X-Telegram-Bot-Api-Secret-Token"] == "cli-secret"
        proc.stdin.write(b"/quit\n")
        await proc.stdin.drain()
        async with asyncio.timeout(5):
            assert await proc.wait() == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await receiver.stop()


def test_sandbox_command_refuses_a_bad_webhook_secret() -> None:
    app = typer.Typer()
    app.command()(sandbox_command)
    result = CliRunner().invoke(
        app,
        ["--port", "0", "--webhook-url", "http://127.0.0.1:9/hook", "--webhook-secret", "a b"],
    )
    assert result.exit_code == 1
    assert "secret token contains unallowed characters" in result.output


async def test_webhook_idle_waits_for_the_queue_to_empty(
    server: SandboxServer, api: RawApi, receiver: Receiver, alice: SandboxUser
) -> None:
    await alice.send("polled")
    waiting = asyncio.create_task(server.webhook_idle(5))
    [update] = (await api.json("getUpdates", timeout=0)).result
    assert not waiting.done()  # seen but not confirmed yet
    await api.json("getUpdates", offset=update["update_id"] + 1, timeout=0)
    await asyncio.wait_for(waiting, 2)

    async def refuse(received: Received) -> web.StreamResponse:
        return web.Response(status=500)

    receiver.respond = refuse
    await api.json("setWebhook", url=receiver.url)
    await alice.send("never accepted")
    with pytest.raises(TimeoutError):
        await server.webhook_idle(0.3)


async def test_an_aiogram_webhook_bot_answers_in_its_response(
    server: SandboxServer, bot: Bot, alice: SandboxUser
) -> None:
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> SendMessage:
        buttons = [[InlineKeyboardButton(text="Again", callback_data="again")]]
        # Returned, not awaited: aiogram puts the call in the webhook answer (multipart form).
        return message.answer(
            f"echo: {message.text}", reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons)
        )

    app = web.Application()
    SimpleRequestHandler(dispatcher, bot, secret_token="echo").register(app, path="/hook")
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        port = runner.addresses[0][1]
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="echo")
        await alice.send("xin chào")
        await server.webhook_idle(5)
        answer = await alice.next_message(timeout=2)
        assert answer.text == "echo: xin chào"
        assert answer.buttons == [["Again"]]
    finally:
        await runner.cleanup()
