"""getUpdates: real long polling, offsets, limits, allowed_updates and the one-poller rule."""

from __future__ import annotations

import asyncio
import time

from sandbox_support import RawApi

from bot.sandbox.client import SandboxUser
from bot.sandbox.server import SandboxServer


async def test_long_poll_returns_when_an_update_arrives(api: RawApi, alice: SandboxUser) -> None:
    async def later() -> None:
        await asyncio.sleep(0.2)
        await alice.send("hello")

    started = time.monotonic()
    sender = asyncio.create_task(later())
    reply = await api.json("getUpdates", timeout=5)
    await sender
    elapsed = time.monotonic() - started
    assert 0.15 < elapsed < 2
    [update] = reply.result
    assert update["message"]["text"] == "hello"
    assert update["message"]["from"]["first_name"] == "Alice"


async def test_long_poll_times_out_empty(api: RawApi) -> None:
    started = time.monotonic()
    reply = await api.json("getUpdates", timeout=1)
    assert reply.result == []
    assert 0.9 < time.monotonic() - started < 2


async def test_offset_confirms_and_limit(api: RawApi, alice: SandboxUser) -> None:
    for text in ("a", "b", "c"):
        await alice.send(text)
    first_two = (await api.json("getUpdates", limit=2)).result
    assert [u["message"]["text"] for u in first_two] == ["a", "b"]
    again = (await api.json("getUpdates")).result
    assert [u["message"]["text"] for u in again] == ["a", "b", "c"]  # nothing confirmed yet
    rest = (await api.json("getUpdates", offset=first_two[-1]["update_id"] + 1)).result
    assert [u["message"]["text"] for u in rest] == ["c"]
    assert (await api.json("getUpdates", offset=rest[-1]["update_id"] + 1)).result == []


async def test_command_entity(api: RawApi, alice: SandboxUser) -> None:
    await alice.send_command("start", "inv-123")
    [update] = (await api.json("getUpdates")).result
    assert update["message"]["text"] == "/start inv-123"
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]


async def test_allowed_updates_filters(api: RawApi, alice: SandboxUser) -> None:
    await api.json(
        "sendMessage",
        chat_id=alice.user_id,
        text="m",
        reply_markup={"inline_keyboard": [[{"text": "B", "callback_data": "b"}]]},
    )
    await alice.send("dropped")
    await alice.press("B")
    updates = (await api.call("getUpdates", data={"allowed_updates": '["callback_query"]'})).result
    assert [list(u)[1] for u in updates] == ["callback_query"]
    assert updates[0]["callback_query"]["data"] == "b"
    await alice.send("also dropped")
    assert len((await api.json("getUpdates")).result) == 1


async def test_second_poller_ends_the_first_with_conflict(api: RawApi) -> None:
    first = asyncio.create_task(api.json("getUpdates", timeout=5))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(api.json("getUpdates", timeout=0))
    old, new = await asyncio.wait_for(asyncio.gather(first, second), 2)
    assert old.status == 409
    assert old.description.startswith("Conflict: terminated by other getUpdates request")
    assert new.result == []


async def test_stop_ends_a_pending_poll_quickly(server: SandboxServer, api: RawApi) -> None:
    poll = asyncio.create_task(api.json("getUpdates", timeout=30))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    await server.stop()
    assert (await asyncio.wait_for(poll, 2)).result == []
    assert time.monotonic() - started < 2


async def test_delete_webhook_can_drop_pending(api: RawApi, alice: SandboxUser) -> None:
    await alice.send("old")
    assert (await api.json("deleteWebhook", drop_pending_updates=True)).result is True
    assert (await api.json("getUpdates")).result == []
