"""The outbox: idempotent enqueue, due order, sent and failed bookkeeping."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FrozenClock
from storage.models import Brand, OutboxMessage
from storage.repositories import outbox

SF = async_sessionmaker[AsyncSession]


async def put(session: AsyncSession, key: str, now: Any, **extra: Any) -> bool:
    fields: dict[str, Any] = {"chat_id": 1001, "kind": "reminder", "payload": {"text": key}}
    fields.update(extra)
    return await outbox.enqueue(session, dedupe_key=key, now=now, **fields)


async def test_dedupe_key_is_queued_once_and_the_transaction_survives(
    session_factory: SF, clock: FrozenClock
) -> None:
    now = clock.now()
    async with session_factory() as session, session.begin():
        assert await put(session, "reminder:2026-11-21:1001", now) is True
        assert await put(session, "reminder:2026-11-21:1001", now, chat_id=9) is False
        session.add(Brand(code="HS", name="Hasaki"))  # still usable

    async with session_factory() as session, session.begin():
        assert await put(session, "reminder:2026-11-21:1001", now) is False

    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
        assert await session.scalar(select(func.count()).select_from(Brand)) == 1
        message = await outbox.get_by_dedupe_key(session, "reminder:2026-11-21:1001")
        assert message is not None and message.chat_id == 1001


async def test_payload_round_trips(session_factory: SF, clock: FrozenClock) -> None:
    payload = {"text": "Nhắc báo cáo", "buttons": [["ack", 1]], "photo": None, "n": 1.5}
    async with session_factory() as session, session.begin():
        await put(session, "k", clock.now(), payload=payload, chat_id=-1001234567890123)

    async with session_factory() as session:
        [message] = await outbox.pending(session, clock.now(), 10)
        assert message.payload == payload
        assert message.chat_id == -1001234567890123
        assert (message.status, message.attempts, message.priority) == ("pending", 0, 50)
        assert message.not_before == message.created_at == clock.now()


async def test_pending_is_due_messages_by_priority_then_age(
    session_factory: SF, clock: FrozenClock
) -> None:
    now = clock.now()
    async with session_factory() as session, session.begin():
        await put(session, "digest", now, priority=90)
        await put(session, "alert-1", now, priority=10)
        await put(session, "reminder-1", now)
        await put(session, "alert-2", now, priority=10)
        await put(session, "later", now, priority=0, not_before=now + timedelta(minutes=1))
        await put(session, "reminder-2", now)

    async with session_factory() as session:
        due = await outbox.pending(session, now, 10)
        assert [m.dedupe_key for m in due] == [
            "alert-1",
            "alert-2",
            "reminder-1",
            "reminder-2",
            "digest",
        ]
        assert [m.dedupe_key for m in await outbox.pending(session, now, 2)] == [
            "alert-1",
            "alert-2",
        ]
        later = await outbox.pending(session, now + timedelta(minutes=1), 1)
        assert [m.dedupe_key for m in later] == ["later"]


async def test_pending_with_lock_works_on_every_backend(
    session_factory: SF, clock: FrozenClock
) -> None:
    async with session_factory() as session, session.begin():
        await put(session, "a", clock.now())
        claimed = await outbox.pending(session, clock.now(), 10, lock=True)
        assert [m.dedupe_key for m in claimed] == ["a"]
        await outbox.mark_sent(session, claimed[0], clock.now())


async def test_mark_sent_and_failed(session_factory: SF, clock: FrozenClock) -> None:
    now = clock.now()
    async with session_factory() as session, session.begin():
        for key in ("ok", "retry", "dead"):
            await put(session, key, now)

    async with session_factory() as session, session.begin():
        by_key = {m.dedupe_key: m for m in await outbox.pending(session, now, 10)}
        await outbox.mark_sent(session, by_key["ok"], now + timedelta(seconds=1))
        await outbox.mark_failed(
            session, by_key["retry"], "429: retry after 30", now + timedelta(seconds=30)
        )
        await outbox.mark_failed(session, by_key["dead"], "403: bot was blocked", None)

    async with session_factory() as session:
        assert await outbox.pending(session, now + timedelta(seconds=29), 10) == []
        [retry] = await outbox.pending(session, now + timedelta(seconds=30), 10)
        assert (retry.dedupe_key, retry.attempts, retry.last_error) == (
            "retry",
            1,
            "429: retry after 30",
        )
        sent = await outbox.get_by_dedupe_key(session, "ok")
        assert sent is not None
        assert (sent.status, sent.attempts, sent.sent_at) == (
            "sent",
            1,
            now + timedelta(seconds=1),
        )
        dead = await outbox.get_by_dedupe_key(session, "dead")
        assert dead is not None
        assert (dead.status, dead.attempts, dead.last_error) == (
            "failed",
            1,
            "403: bot was blocked",
        )


async def test_enqueue_many_skips_keys_queued_before(
    session_factory: SF, clock: FrozenClock
) -> None:
    def batch(keys: range) -> list[outbox.NewMessage]:
        return [
            outbox.NewMessage(f"reminder:{k}", 1000 + k, "reminder", {"text": f"hi {k}"}, 50)
            for k in keys
        ]

    async with session_factory() as session, session.begin():
        assert await outbox.enqueue(
            session, dedupe_key="reminder:3", chat_id=1003, kind="reminder",
            payload={"text": "hi 3"}, now=clock.now(),
        )  # fmt: skip
        assert await outbox.enqueue_many(session, batch(range(1200)), now=clock.now()) == 1199
    async with session_factory() as session, session.begin():
        assert await outbox.enqueue_many(session, batch(range(1195, 1205)), now=clock.now()) == 5
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()

    assert len(rows) == 1205
    assert len({row.dedupe_key for row in rows}) == 1205
    last = rows[-1]
    assert (last.chat_id, last.payload, last.status, last.priority) == (
        2204, {"text": "hi 1204"}, "pending", 50,
    )  # fmt: skip
    assert last.not_before == clock.now()
