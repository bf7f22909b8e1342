"""The outbox rows' life on every backend: expiry by kind, superseded rows, leases held,
renewed and given back only by their holder."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FrozenClock
from bot.domain.outbox import LIFETIMES, default_expiry, lifetime_of
from storage.models import OutboxMessage
from storage.repositories import outbox

SF = async_sessionmaker[AsyncSession]


async def put(session: AsyncSession, key: str, now: Any, **extra: Any) -> bool:
    fields: dict[str, Any] = {"chat_id": 1001, "kind": "reminder", "payload": {"text": key}}
    fields.update(extra)
    return await outbox.enqueue(session, dedupe_key=key, now=now, **fields)


async def all_rows(session: AsyncSession) -> list[OutboxMessage]:
    return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


def test_lifetimes_by_kind() -> None:
    assert lifetime_of("order_approved") == LIFETIMES["order"]
    assert lifetime_of("nudge").summarised is False
    assert lifetime_of("missed").ttl is None and lifetime_of("test").ttl is None
    # Reminders go stale within hours; what a person waits for lasts days.
    reminder, order = LIFETIMES["reminder"].ttl, LIFETIMES["order"].ttl
    assert reminder is not None and order is not None and reminder < timedelta(days=1) < order


async def test_stale_rows_are_never_due_and_expire_marks_them_once(
    session_factory: SF, clock: FrozenClock
) -> None:
    now = clock.now()
    async with session_factory() as session, session.begin():
        await put(session, "reminder", now)  # by kind: 4 hours
        await put(session, "exact", now, kind="digest", expires_at=now + timedelta(minutes=5))
        await put(session, "forever", now, kind="test")
    later = now + timedelta(hours=6)

    async with session_factory() as session, session.begin():
        stored = {m.dedupe_key: m for m in await outbox.pending(session, now, 10)}
        assert stored["reminder"].expires_at == default_expiry("reminder", now)
        assert stored["forever"].expires_at is None
        assert [m.dedupe_key for m in await outbox.pending(session, later, 10)] == ["forever"]
        expired = await outbox.expire(session, later, 10)
        assert sorted(m.dedupe_key for m in expired) == ["exact", "reminder"]
        assert await outbox.expire(session, later, 10) == []

    async with session_factory() as session:
        row = await outbox.get_by_dedupe_key(session, "reminder")
        assert row is not None and row.status == "expired" and row.sent_at is None
        assert "expired" in (row.last_error or "")


async def test_a_leased_row_expires_only_when_its_lease_ends(
    session_factory: SF, clock: FrozenClock
) -> None:
    now = clock.now()
    async with session_factory() as session, session.begin():
        await put(session, "r", now, expires_at=now + timedelta(seconds=10))
        [_claimed] = await outbox.claim(session, now, 10, now + timedelta(seconds=60))
    async with session_factory() as session, session.begin():
        assert await outbox.expire(session, now + timedelta(seconds=30), 10) == []
        assert len(await outbox.expire(session, now + timedelta(seconds=61), 10)) == 1


async def test_a_newer_message_supersedes_unsent_ones_of_its_subject_in_that_chat(
    session_factory: SF, clock: FrozenClock
) -> None:
    now = clock.now()
    async with session_factory() as session, session.begin():
        await put(session, "alert-a", now, kind="alert", subject="alert:1")
        await put(session, "alert-b", now, kind="alert", subject="alert:2")
        await put(session, "other-chat", now, kind="alert", subject="alert:1", chat_id=7)
        await put(session, "ok", now, kind="alert", replaces=["alert:1"])
        assert not await put(session, "ok", now, kind="alert", replaces=["alert:2"])  # a dup

    async with session_factory() as session:
        status = {m.dedupe_key: m.status for m in await all_rows(session)}
    assert status == {
        "alert-a": "superseded",
        "alert-b": "pending",  # the duplicate replaced nothing
        "other-chat": "pending",
        "ok": "pending",
    }


async def test_leases_are_renewed_and_released_only_by_their_holder(
    session_factory: SF, clock: FrozenClock
) -> None:
    now = clock.now()
    lease = now + timedelta(seconds=60)
    async with session_factory() as session, session.begin():
        for key in ("a", "b"):
            await put(session, key, now)
        taken = await outbox.claim(session, now, 10, lease)
        assert [previous for _, previous in taken] == [now, now]
        assert await outbox.claim(session, now, 10, lease) == []  # nothing left to take
    ids = [row.id for row, _ in taken]
    renewed = now + timedelta(seconds=100)
    async with session_factory() as session, session.begin():
        assert await outbox.renew(session, ids, lease, renewed) == set(ids)
        assert await outbox.renew(session, ids, lease, renewed) == set()  # not ours any more
        await outbox.release(session, ids, lease, now)  # a stale holder gives back nothing
        assert await outbox.pending(session, now, 10) == []
        await outbox.release(session, ids[:1], renewed, now)
        assert [m.id for m in await outbox.pending(session, now, 10)] == ids[:1]
