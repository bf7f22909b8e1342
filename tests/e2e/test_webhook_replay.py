"""A worker that replied and then failed to commit: the redelivery applies the update and
replays the reply from the call journal instead of sending it twice (PostgreSQL workers)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from support.bot_harness import BotUnderTest
from support.databases import POSTGRES

from bot.roles import Role
from bot.sandbox.client import SandboxUser
from bot.sandbox.server import SandboxServer
from storage.models import Report

FIRST_QUESTION = "(1/7)"


@pytest.fixture
def bot_mode(backend: str) -> str:
    if backend != POSTGRES:
        pytest.skip("the call journal is kept by PostgreSQL workers")
    return "webhook"


@pytest.fixture
async def minh(app: BotUnderTest, user_factory: Any) -> SandboxUser:
    user = user_factory(5001, "Minh")
    await app.join(user, Role.STAFF, "growth", ("HS-SHOPEE",))
    return user


@pytest.fixture
def commit_fails_once() -> Iterator[list[bool]]:
    """The next commit of an update's transaction fails as if the connection dropped (the
    update's session is bound to the connection holding its chat's lock)."""
    armed = [False]

    def fail(session: Session) -> None:
        if (
            armed[0]
            and isinstance(session.bind, Connection)
            and not session.in_nested_transaction()
        ):
            armed[0] = False
            raise OperationalError("COMMIT", {}, ConnectionResetError("connection lost"))

    event.listen(Session, "before_commit", fail)
    try:
        yield armed
    finally:
        event.remove(Session, "before_commit", fail)


def bot_texts(sandbox: SandboxServer, chat_id: int, needle: str) -> list[str]:
    return [
        m.get("text", "")
        for m in sandbox.messages(chat_id)
        if m["from"].get("id") == sandbox.bot_id and needle in m.get("text", "")
    ]


async def test_a_reply_before_a_failed_commit_is_replayed_not_sent_again(
    app: BotUnderTest,
    sandbox: SandboxServer,
    minh: SandboxUser,
    commit_fails_once: list[bool],
) -> None:
    await sandbox.webhook_idle(10)  # the join's update is answered (committed) first
    commit_fails_once[0] = True
    await minh.send("/report")
    assert FIRST_QUESTION in (await minh.next_message()).text
    await sandbox.webhook_idle(10)
    assert not commit_fails_once[0]  # the failure happened
    report = sandbox.webhook_deliveries[-1].update_id
    outcomes = [d.outcome for d in sandbox.webhook_deliveries if d.update_id == report]
    assert outcomes == [500, 200]  # rolled back, delivered again, applied
    assert len(bot_texts(sandbox, minh.user_id, FIRST_QUESTION)) == 1
    # The form did open (on the second delivery): the answer is taken.
    await minh.send("12,5tr")
    assert "(2/7)" in (await minh.next_message()).text


REPORT = "gmv 12,5tr\nnmv 11.000.000\nđơn 85\nhủy 3\nhoàn 2\nlượt truy cập 3.200\nchi phí ads 1tr2"
CONFIRM = "✅ Xác nhận"


def outcomes_of(sandbox: SandboxServer, update_id: int) -> list[int | str]:
    return [d.outcome for d in sandbox.webhook_deliveries if d.update_id == update_id]


async def test_a_press_waits_for_the_update_that_sent_its_message(
    app: BotUnderTest,
    sandbox: SandboxServer,
    minh: SandboxUser,
    commit_fails_once: list[bool],
) -> None:
    """The summary's update replied and then failed to commit; Telegram queues presses apart
    from messages, so Confirm reaches the bot before the summary's update comes again. The
    press is answered 500 until that update is applied, then confirms the report."""
    await sandbox.webhook_idle(10)
    await minh.send("/report")
    assert FIRST_QUESTION in (await minh.next_message()).text
    await sandbox.webhook_idle(10)
    sandbox.webhook.retry_base = 1.5  # the summary's update comes again after the press
    commit_fails_once[0] = True
    await minh.send(REPORT)
    summary = await minh.next_message()
    assert CONFIRM in summary.button_texts, summary.text
    report_update = int(sandbox.store.updates[-1]["update_id"])
    await minh.press(CONFIRM, message=summary)
    press_update = int(sandbox.store.updates[-1]["update_id"])
    receipt = await minh.next_message(20)
    assert "Đã lưu" in receipt.text, receipt.text
    await sandbox.webhook_idle(20)

    assert outcomes_of(sandbox, report_update) == [500, 200]
    press_outcomes = outcomes_of(sandbox, press_update)
    assert press_outcomes[0] == 500 and press_outcomes[-1] == 200, press_outcomes
    first_press = min(d.started for d in sandbox.webhook_deliveries if d.update_id == press_update)
    summary_again = max(
        d.started for d in sandbox.webhook_deliveries if d.update_id == report_update
    )
    assert first_press < summary_again  # the press did overtake the redelivery
    assert len(bot_texts(sandbox, minh.user_id, "Tóm tắt")) == 1  # replayed, not sent again
    async with app.db.session_factory() as session:
        reports = (await session.scalars(select(Report))).all()
    assert [(r.revision, r.store_id is not None) for r in reports] == [(1, True)]
