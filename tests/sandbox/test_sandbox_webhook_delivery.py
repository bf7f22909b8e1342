"""Webhook delivery: retries with backoff, lost answers, timeouts, parallelism, shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import warnings
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from sandbox_support import RawApi
from webhook_receiver import Received, Receiver, Responder, free_port, wait_until

from bot.sandbox.client import SandboxUser
from bot.sandbox.server import SandboxServer
from bot.sandbox.webhook import WebhookDelivery

BASE = 0.05
CAP = 0.2


@pytest.fixture
async def server() -> AsyncIterator[SandboxServer]:
    sandbox = SandboxServer(
        seed=7, webhook_timeout=0.5, webhook_retry_base=BASE, webhook_retry_cap=CAP
    )
    await sandbox.start()
    yield sandbox
    await sandbox.stop()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    endpoint = Receiver()
    await endpoint.start()
    yield endpoint
    await endpoint.stop()


def fail_first(count: int, status: int = 500) -> Responder:
    answers = iter([status] * count)

    async def respond(received: Received) -> web.StreamResponse:
        return web.Response(status=next(answers, 200))

    return respond


async def test_a_500_is_delivered_again_before_the_chat_moves_on(
    server: SandboxServer, api: RawApi, receiver: Receiver, alice: SandboxUser
) -> None:
    receiver.respond = fail_first(1)
    await api.json("setWebhook", url=receiver.url)
    for text in ("a", "b", "c"):
        await alice.send(text)
    await server.webhook_idle(5)
    first = receiver.update_ids[0]
    assert receiver.update_ids == [first, first, first + 1, first + 2]
    assert [d.outcome for d in server.webhook_deliveries] == [500, 200, 200, 200]
    info = (await api.json("getWebhookInfo")).result
    assert (
        info["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"
    )


async def test_a_lost_answer_is_delivered_again(
    server: SandboxServer, api: RawApi, receiver: Receiver, alice: SandboxUser
) -> None:
    await api.json("setWebhook", url=receiver.url)
    server.lose_next_webhook_responses(1)
    await alice.send("applied twice?")
    await alice.send("next")
    await server.webhook_idle(5)
    first = receiver.update_ids[0]
    # The receiver answered 200 both times: the bot saw the same update twice, in order.
    assert receiver.update_ids == [first, first, first + 1]
    assert [d.outcome for d in server.webhook_deliveries] == ["lost 200", 200, 200]
    info = (await api.json("getWebhookInfo")).result
    assert info["last_error_message"] == "Webhook connection closed"


async def test_backoff_doubles_up_to_the_cap(
    server: SandboxServer, api: RawApi, receiver: Receiver, alice: SandboxUser
) -> None:
    receiver.respond = fail_first(5, status=502)
    await api.json("setWebhook", url=receiver.url)
    await alice.send("retry me")
    await server.webhook_idle(5)
    attempts = server.webhook_deliveries
    assert [d.outcome for d in attempts] == [502] * 5 + [200]
    waits = [later.started - earlier.finished for earlier, later in itertools.pairwise(attempts)]
    expected = [BASE, 2 * BASE, CAP, CAP, CAP]  # 0.05, 0.1, then capped at 0.2 (not 0.4, 0.8)
    for waited, delay in zip(waits, expected, strict=True):
        assert waited >= delay * 0.9, (waits, expected)
    assert waits[1] > waits[0] * 1.5
    assert max(waits) < CAP + 0.5, waits


async def test_retry_after_in_the_answer_is_honoured(
    server: SandboxServer, api: RawApi, receiver: Receiver, alice: SandboxUser
) -> None:
    answers = iter([web.Response(status=429, headers={"Retry-After": "1"})])

    async def respond(received: Received) -> web.StreamResponse:
        return next(answers, web.Response(status=200))

    receiver.respond = respond
    await api.json("setWebhook", url=receiver.url)
    await alice.send("later")
    await server.webhook_idle(5)
    failed, delivered = server.webhook_deliveries
    assert (failed.outcome, delivered.outcome) == (429, 200)
    assert delivered.started - failed.finished >= 0.95


async def test_connection_refused_then_the_endpoint_comes_up(
    server: SandboxServer, api: RawApi, alice: SandboxUser
) -> None:
    receiver = Receiver(port=free_port())
    await api.json("setWebhook", url=receiver.url)
    await alice.send("anyone there?")
    await wait_until(lambda: len(server.webhook_deliveries) >= 2)
    assert {d.outcome for d in server.webhook_deliveries} == {"Connection refused"}
    info = (await api.json("getWebhookInfo")).result
    assert info["last_error_message"] == "Connection refused"
    assert info["pending_update_count"] == 1
    await receiver.start()
    try:
        await server.webhook_idle(5)
    finally:
        await receiver.stop()
    assert [item.update["message"]["text"] for item in receiver.received] == ["anyone there?"]


async def test_a_slow_answer_times_out_and_is_delivered_again(
    server: SandboxServer, api: RawApi, receiver: Receiver, alice: SandboxUser
) -> None:
    release = asyncio.Event()

    async def respond(received: Received) -> web.StreamResponse:
        if len(receiver.received) == 1:
            await release.wait()  # longer than the sandbox's 0.5 s webhook_timeout
        return web.Response(status=200)

    receiver.respond = respond
    await api.json("setWebhook", url=receiver.url)
    await alice.send("slow")
    try:
        await server.webhook_idle(5)
    finally:
        release.set()
    timed_out, delivered = server.webhook_deliveries
    assert (timed_out.outcome, delivered.outcome) == ("Read timeout expired", 200)
    assert timed_out.finished - timed_out.started >= 0.45
    assert receiver.update_ids == [timed_out.update_id] * 2


def most_overlapping(deliveries: list[WebhookDelivery]) -> int:
    edges = sorted(
        [(d.started, 1) for d in deliveries] + [(d.finished, -1) for d in deliveries],
        key=lambda edge: (edge[0], edge[1]),
    )
    level = peak = 0
    for _, step in edges:
        level += step
        peak = max(peak, level)
    return peak


def hold_until_concurrent(receiver: Receiver, wanted: int, patience: float = 0.4) -> Responder:
    """Answer only once `wanted` requests are in progress (or after `patience` seconds), so
    that any room for more parallel requests than allowed would be used."""
    crowded = asyncio.Event()

    async def respond(received: Received) -> web.StreamResponse:
        if receiver.current >= wanted:
            crowded.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(crowded.wait(), patience)
        await asyncio.sleep(0.02)
        return web.Response(status=200)

    return respond


async def test_at_most_max_connections_in_flight(
    server: SandboxServer, api: RawApi, receiver: Receiver
) -> None:
    users = [SandboxUser(server, 2000 + n, f"User {n}") for n in range(9)]
    receiver.respond = hold_until_concurrent(receiver, 3)
    await api.json("setWebhook", url=receiver.url, max_connections=3)
    for user in users:
        await user.send("hi")
    await server.webhook_idle(10)
    assert len(receiver.received) == 9
    assert receiver.most_concurrent == 3
    assert most_overlapping(server.webhook_deliveries) == 3


async def test_one_chat_at_a_time_in_order(
    server: SandboxServer, api: RawApi, receiver: Receiver, alice: SandboxUser
) -> None:
    receiver.respond = hold_until_concurrent(receiver, 2, patience=0.1)
    await api.json("setWebhook", url=receiver.url)
    for n in range(4):
        await alice.send(f"m{n}")
    await server.webhook_idle(10)
    assert [item.update["message"]["text"] for item in receiver.received] == [
        "m0",
        "m1",
        "m2",
        "m3",
    ]
    assert receiver.most_concurrent == 1


async def test_without_chat_queues_one_chat_can_race(
    api: RawApi, receiver: Receiver, alice: SandboxUser
) -> None:
    async with SandboxServer(webhook_chat_queues=False) as racy:
        user = SandboxUser(racy, 3001, "Racer")
        receiver.respond = hold_until_concurrent(receiver, 2)
        async with aiohttp.ClientSession() as session:
            await RawApi(session, racy).json("setWebhook", url=receiver.url)
        await user.send("tap")
        await user.send("tap")
        await racy.webhook_idle(10)
    assert receiver.most_concurrent == 2


async def test_stop_ends_delivery_cleanly(
    api: RawApi, receiver: Receiver, alice: SandboxUser
) -> None:
    hold = asyncio.Event()

    async def respond(received: Received) -> web.StreamResponse:
        await hold.wait()
        return web.Response(status=200)

    receiver.respond = respond
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sandbox = SandboxServer()
        await sandbox.start()
        user = SandboxUser(sandbox, 4001, "Late")
        async with aiohttp.ClientSession() as session:
            await RawApi(session, sandbox).json("setWebhook", url=receiver.url)
        await user.send("in flight at shutdown")
        await wait_until(lambda: receiver.current == 1)
        await asyncio.wait_for(sandbox.stop(), 2)
        hold.set()
        gc.collect()
    left = [t for t in asyncio.all_tasks() if t.get_name().startswith("sandbox-webhook")]
    assert left == []
    assert [str(w.message) for w in caught] == []
    assert sandbox.webhook.in_flight == 0
    assert sandbox.webhook._session is None  # its connections are closed, not left to the GC
    assert len(sandbox.store.updates) == 1  # never acknowledged: Telegram would keep it


async def test_a_failing_chat_does_not_hold_up_the_others(
    server: SandboxServer, api: RawApi, receiver: Receiver, alice: SandboxUser, bob: SandboxUser
) -> None:
    async def respond(received: Received) -> web.StreamResponse:
        sender = received.update["message"]["from"]["id"]
        return web.Response(status=500 if sender == alice.user_id else 200)

    receiver.respond = respond
    await api.json("setWebhook", url=receiver.url)
    await alice.send("stuck")
    await bob.send("one")
    await bob.send("two")

    def bob_done() -> bool:
        texts = [r.update["message"]["text"] for r in receiver.received]
        return texts.count("one") == 1 and texts.count("two") == 1

    await wait_until(bob_done)
    await wait_until(
        lambda: [r.update["message"]["text"] for r in receiver.received].count("stuck") >= 3
    )
    assert (await api.json("getWebhookInfo")).result["pending_update_count"] == 1
    # Bob's updates were answered 200 once each: nothing of his was held behind Alice's.
    bob_outcomes = [d.outcome for d in server.webhook_deliveries if d.outcome == 200]
    assert bob_outcomes == [200, 200]


async def test_a_redirect_is_a_wrong_response_not_followed(
    server: SandboxServer, api: RawApi, receiver: Receiver, alice: SandboxUser
) -> None:
    answers = iter([web.Response(status=302, headers={"Location": "/elsewhere"})])

    async def respond(received: Received) -> web.StreamResponse:
        return next(answers, web.Response(status=200))

    receiver.respond = respond
    await api.json("setWebhook", url=receiver.url)
    await alice.send("moved?")
    await server.webhook_idle(5)
    assert [d.outcome for d in server.webhook_deliveries] == [302, 200]
    info = (await api.json("getWebhookInfo")).result
    assert info["last_error_message"] == "Wrong response from the webhook: 302 Found"


async def test_a_new_url_takes_over_what_was_in_flight(
    server: SandboxServer, api: RawApi, receiver: Receiver, alice: SandboxUser
) -> None:
    hung = Receiver()
    hold = asyncio.Event()

    async def never(received: Received) -> web.StreamResponse:
        await hold.wait()
        return web.Response(status=200)

    hung.respond = never
    await hung.start()
    try:
        await api.json("setWebhook", url=hung.url)
        await alice.send("moving")
        await wait_until(lambda: hung.current == 1)
        await api.json("setWebhook", url=receiver.url)
        await server.webhook_idle(5)
    finally:
        hold.set()
        await hung.stop()
    assert [item.update["message"]["text"] for item in receiver.received] == ["moving"]
    assert "last_error_date" not in (await api.json("getWebhookInfo")).result
