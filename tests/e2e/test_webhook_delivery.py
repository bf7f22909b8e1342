"""Webhook mode end to end: redeliveries applied once and answered once, two presses of one
button at the same moment, and polling refusing to start while a webhook is set."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from support.bot_harness import WEBHOOK_SECRET, BotUnderTest
from support.databases import POSTGRES, DatabaseSpec

from bot.api.routes_webhook import SECRET_HEADER
from bot.app import create_bot
from bot.clock import FrozenClock
from bot.roles import Role
from bot.sandbox.client import SandboxUser
from bot.sandbox.server import SANDBOX_TOKEN, SandboxServer
from bot.sandbox.validation import find_button
from bot.settings import SettingsError
from storage.models import ProcessedUpdate, Report

FULL_REPORT = (
    "gmv 12,5tr\nnmv 11.000.000\nđơn 85\nhủy 3\nhoàn 2\nlượt truy cập 3.200\nchi phí ads 1tr2"
)
SAVED = "Đã lưu"
STALE = "Nút này đã hết hiệu lực."


@pytest.fixture
def bot_mode() -> str:
    return "webhook"


@pytest.fixture
async def minh(app: BotUnderTest, user_factory: Any) -> SandboxUser:
    user = user_factory(5001, "Minh")
    await app.join(user, Role.STAFF, "growth", ("HS-SHOPEE",))
    return user


async def summary_shown(user: SandboxUser) -> None:
    await user.send("/report")
    await user.next_message()
    await user.send(FULL_REPORT)
    assert "Tóm tắt" in (await user.next_message()).text


def bot_texts(sandbox: SandboxServer, chat_id: int, needle: str) -> list[str]:
    return [
        m.get("text", "")
        for m in sandbox.messages(chat_id)
        if m["from"].get("id") == sandbox.bot_id and needle in m.get("text", "")
    ]


async def count(app: BotUnderTest, model: Any) -> int:
    async with app.db.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_updates_arrive_through_the_webhook(
    app: BotUnderTest, sandbox: SandboxServer, minh: SandboxUser
) -> None:
    await summary_shown(minh)
    await sandbox.webhook_idle(10)  # every update answered, so committed
    assert not sandbox.calls_to("getUpdates")  # nothing polls
    assert sandbox.calls_to("setWebhook") and not sandbox.calls_to("deleteWebhook")
    assert await count(app, ProcessedUpdate) == 3  # /start, /report, the report
    assert {d.outcome for d in sandbox.webhook_deliveries} == {200}


async def test_a_redelivered_press_is_applied_once_and_answered_once(
    app: BotUnderTest, sandbox: SandboxServer, minh: SandboxUser
) -> None:
    await summary_shown(minh)
    sandbox.lose_next_webhook_responses(1)  # the worker "dies" after committing the press
    await minh.press("✅ Xác nhận")
    assert SAVED in (await minh.next_message()).text
    await sandbox.webhook_idle(10)
    press = sandbox.webhook_deliveries[-1].update_id
    outcomes = [d.outcome for d in sandbox.webhook_deliveries if d.update_id == press]
    assert len(outcomes) == 2 and outcomes[-1] == 200, outcomes  # delivered again, accepted
    assert len(bot_texts(sandbox, minh.user_id, SAVED)) == 1
    assert len(sandbox.calls_to("answerCallbackQuery")) == 1
    assert await count(app, Report) == 1


def press_update(
    sandbox: SandboxServer, user: SandboxUser, message_id: int, label: str, update_id: int
) -> dict[str, Any]:
    """The update Telegram sends for one press of the button ``label``."""
    message = sandbox.message(user.user_id, message_id)
    assert message is not None
    data = find_button(message, label)["callback_data"]
    query_id = sandbox.store.new_callback(user.user_id, user.user_id, message_id, data)
    account = sandbox.store.accounts[user.user_id]
    callback = {
        "id": query_id,
        "from": account.to_json(),
        "message": message,
        "chat_instance": "1",
        "data": data,
    }
    return {"update_id": update_id, "callback_query": callback}


async def post(client: httpx.AsyncClient, url: str, update: dict[str, Any]) -> int:
    response = await client.post(url, json=update, headers={SECRET_HEADER: WEBHOOK_SECRET})
    return response.status_code


async def double_press(
    app: BotUnderTest, sandbox: SandboxServer, minh: SandboxUser, urls: list[str]
) -> None:
    await summary_shown(minh)
    await sandbox.webhook_idle(10)
    summary = minh.last_message_with_buttons
    assert summary is not None and summary.message_id is not None
    updates = [
        press_update(sandbox, minh, summary.message_id, "✅ Xác nhận", 800_001 + i)
        for i in range(2)
    ]
    # Each press stays in its handler a while (its acknowledgement is slow): without the
    # per-chat lock both would read the open summary and both would save.
    sandbox.faults.add("slow", "answerCallbackQuery", times=2, delay=0.5)
    async with httpx.AsyncClient(timeout=30) as client:
        presses = (post(client, url, u) for url, u in zip(urls, updates, strict=True))
        statuses = await asyncio.gather(*presses)
    assert statuses == [200, 200]
    assert len(bot_texts(sandbox, minh.user_id, SAVED)) == 1
    answers = [c.get("text") for c in sandbox.calls_to("answerCallbackQuery")]
    assert sorted(answers, key=str) == sorted([None, STALE], key=str), answers
    assert await count(app, Report) == 1


async def test_two_presses_of_one_button_at_once_apply_once(
    app: BotUnderTest, sandbox: SandboxServer, minh: SandboxUser
) -> None:
    await double_press(app, sandbox, minh, [app.webhook_url, app.webhook_url])


@pytest.fixture
async def second_worker(
    sandbox: SandboxServer, database_spec: DatabaseSpec, clock: FrozenClock
) -> AsyncIterator[BotUnderTest]:
    if database_spec.backend != POSTGRES:
        pytest.skip("several worker processes share PostgreSQL only")
    worker = BotUnderTest(sandbox, database_spec, clock, mode="webhook", register_webhook=False)
    await worker.start()
    try:
        yield worker
    finally:
        await worker.stop()


async def test_two_presses_at_two_workers_at_once_apply_once(
    app: BotUnderTest, second_worker: BotUnderTest, sandbox: SandboxServer, minh: SandboxUser
) -> None:
    await double_press(app, sandbox, minh, [app.webhook_url, second_worker.webhook_url])


async def test_polling_refuses_to_start_while_a_webhook_is_set(
    sandbox: SandboxServer, database_spec: DatabaseSpec, clock: FrozenClock
) -> None:
    bot = create_bot(SANDBOX_TOKEN, sandbox.base_url)
    try:
        await bot.set_webhook("http://127.0.0.1:9/telegram/webhook", secret_token="s")
    finally:
        await bot.session.close()
    polling = BotUnderTest(sandbox, database_spec, clock)
    with pytest.raises(SettingsError) as refused:
        await polling.start()
    await polling.stop()
    assert str(refused.value) == (
        "a webhook is set (http://127.0.0.1:9/telegram/webhook): "
        "run `opsbot webhook delete` first or start with --webhook"
    )
    assert not sandbox.calls_to("deleteWebhook") and not sandbox.calls_to("getUpdates")
