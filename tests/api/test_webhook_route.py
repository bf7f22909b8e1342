"""POST /telegram/webhook: the secret, bodies that are not updates, 200 only after the commit,
500 when the database failed (delivered again), 200 after a handler bug, 503 while draining."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from support.bot_harness import WEBHOOK_SECRET, BotUnderTest
from support.databases import DatabaseSpec

from bot.api.routes_webhook import SECRET_HEADER, create_webhook_router
from bot.clock import FrozenClock
from bot.roles import Role
from bot.sandbox.server import SandboxServer
from storage.models import Member, ProcessedUpdate
from storage.repositories import updates

USER = 7001


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    async with SandboxServer() as server:
        server.register_user(USER, "An")
        yield server


@pytest.fixture
async def worker(
    sandbox: SandboxServer, database_spec: DatabaseSpec, clock: FrozenClock
) -> AsyncIterator[BotUnderTest]:
    bot = BotUnderTest(sandbox, database_spec, clock, mode="webhook", register_webhook=False)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


def message_update(update_id: int, text: str) -> dict[str, Any]:
    sender = {"id": USER, "is_bot": False, "first_name": "An", "language_code": "vi"}
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": 1_795_000_000,
        "chat": {"id": USER, "type": "private", "first_name": "An"},
        "from": sender,
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": update_id, "message": message}


async def post(
    worker: BotUnderTest, body: dict[str, Any] | bytes, secret: str | None = WEBHOOK_SECRET
) -> httpx.Response:
    headers = {} if secret is None else {SECRET_HEADER: secret}
    async with httpx.AsyncClient(timeout=30) as client:
        if isinstance(body, bytes):
            headers["Content-Type"] = "application/json"
            return await client.post(worker.webhook_url, content=body, headers=headers)
        return await client.post(worker.webhook_url, json=body, headers=headers)


async def processed(worker: BotUnderTest) -> set[int]:
    async with worker.db.session_factory() as session:
        return set((await session.scalars(select(ProcessedUpdate.update_id))).all())


def bot_messages(sandbox: SandboxServer) -> list[str]:
    return [
        m.get("text", "") for m in sandbox.messages(USER) if m["from"].get("id") == sandbox.bot_id
    ]


async def test_a_delivery_without_the_secret_is_refused_and_changes_nothing(
    worker: BotUnderTest, sandbox: SandboxServer
) -> None:
    token = await worker.invite(Role.STAFF, "growth", ("HS-SHOPEE",))
    update = message_update(900_001, f"/start {token}")
    for secret in (None, "", "wrong", WEBHOOK_SECRET + "x", WEBHOOK_SECRET[:-1]):
        response = await post(worker, update, secret)
        assert response.status_code == 401, secret
    assert await processed(worker) == set()
    assert await worker.member(USER) is None
    assert bot_messages(sandbox) == []
    # The same delivery with the secret is applied: the refusals were not vacuous.
    assert (await post(worker, update)).status_code == 200
    assert await processed(worker) == {900_001}
    assert await worker.member(USER) is not None
    assert len(bot_messages(sandbox)) == 1


BODIES = [
    b"PRIVATE-1 is not JSON",
    b'["PRIVATE-2"]',
    b'"PRIVATE-3"',
    b'{"message": {"text": "PRIVATE-4"}}',
    b'{"update_id": "PRIVATE-5"}',
    b'{"update_id": true, "text": "PRIVATE-6"}',
    b'{"update_id": 900002, "message": {"text": "PRIVATE-7"}}',
    b'\xff\xfe{"update_id": 1, "text": "PRIVATE-8"}',
]


async def test_a_body_that_is_not_an_update_gets_400_and_stays_out_of_the_log(
    worker: BotUnderTest, sandbox: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for body in BODIES:
        response = await post(worker, body)
        assert response.status_code == 400, body
        assert "PRIVATE" not in response.text
    assert "PRIVATE" not in caplog.text
    assert caplog.text.count("webhook: refused a body that is not an update") == 7
    assert "update_id=900002 is not a valid update" in caplog.text
    assert await processed(worker) == set()
    assert bot_messages(sandbox) == []


async def test_200_comes_after_the_update_committed(
    worker: BotUnderTest, sandbox: SandboxServer
) -> None:
    token = await worker.invite(Role.STAFF, "growth", ("HS-SHOPEE",))
    response = await post(worker, message_update(900_003, f"/start {token}"))
    assert response.status_code == 200
    # Read through another connection at once: what the update wrote is there already.
    async with worker.db.session_factory() as session:
        assert await session.scalar(select(Member.id).where(Member.telegram_id == USER))
        assert await session.get(ProcessedUpdate, 900_003) is not None
    # Delivered again (the answer was lost): answered 200 and not applied twice.
    assert (await post(worker, message_update(900_003, f"/start {token}"))).status_code == 200
    assert len(bot_messages(sandbox)) == 1


async def test_a_database_failure_answers_500_and_the_redelivery_applies_it(
    worker: BotUnderTest, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = await worker.invite(Role.STAFF, "growth", ("HS-SHOPEE",))
    failures = [1]

    def flaky(real: Any) -> Any:
        async def claim(*args: Any) -> Any:
            if failures[0]:
                failures[0] -= 1
                raise OperationalError("INSERT", {}, ConnectionResetError("connection lost"))
            return await real(*args)

        return claim

    # The claim reads the call journal too where calls are journaled (PostgreSQL).
    for name in ("claim", "claim_reading_journal"):
        monkeypatch.setattr(updates, name, flaky(getattr(updates, name)))
    update = message_update(900_004, f"/start {token}")
    assert (await post(worker, update)).status_code == 500
    assert await worker.member(USER) is None
    assert bot_messages(sandbox) == []  # no "internal error" for a failure the retry repairs
    assert (await post(worker, update)).status_code == 200
    assert await worker.member(USER) is not None
    assert len(bot_messages(sandbox)) == 1


async def test_a_handler_bug_is_answered_200_and_told_to_the_user(
    worker: BotUnderTest, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("handlers.middlewares.member_writing", broken)
    response = await post(worker, message_update(900_005, "/help"))
    assert response.status_code == 200  # delivering it again would fail the same way
    messages = bot_messages(sandbox)
    assert len(messages) == 1 and "lỗi" in messages[0].lower(), messages


async def test_new_updates_get_503_while_the_process_drains() -> None:
    fed: list[dict[str, Any]] = []
    draining = [False]

    async def feed(update: dict[str, Any]) -> None:
        fed.append(update)

    app = FastAPI()
    app.include_router(create_webhook_router(feed, "s3cret", draining=lambda: draining[0]))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://worker") as client:
        headers = {SECRET_HEADER: "s3cret"}
        ok = await client.post("/telegram/webhook", json={"update_id": 1}, headers=headers)
        draining[0] = True
        refused = await client.post("/telegram/webhook", json={"update_id": 2}, headers=headers)
    assert (ok.status_code, refused.status_code) == (200, 503)
    assert fed == [{"update_id": 1}]
