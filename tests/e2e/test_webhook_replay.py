"""A worker that replied and then failed to commit: the redelivery applies the update and
replays the reply from the call journal instead of sending it twice (PostgreSQL workers)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from support.bot_harness import BotUnderTest
from support.databases import POSTGRES

from bot.roles import Role
from bot.sandbox.client import SandboxUser
from bot.sandbox.server import SandboxServer

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
