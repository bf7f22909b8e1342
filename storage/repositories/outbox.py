"""The transactional outbox of proactive messages. The caller owns the transaction.

A job or service ``enqueue``s in the transaction that decided to send; the sender takes
``pending`` rows, delivers them and marks each one ``sent`` or ``failed`` (with a retry time, or
for good). The dedupe key makes enqueueing idempotent: the same reminder is never queued twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.outbox import Priority
from storage.models import OutboxMessage

PENDING = "pending"
SENT = "sent"
FAILED = "failed"


async def enqueue(
    session: AsyncSession,
    *,
    dedupe_key: str,
    chat_id: int,
    kind: str,
    payload: dict[str, Any],
    priority: int = Priority.REMINDER,
    now: datetime,
    not_before: datetime | None = None,
) -> bool:
    """Queue a message; False (and nothing written) if ``dedupe_key`` was queued before.

    The insert happens in a SAVEPOINT, so a duplicate leaves the caller's transaction usable.
    """
    message = OutboxMessage(
        dedupe_key=dedupe_key,
        chat_id=chat_id,
        kind=kind,
        priority=priority,
        payload=payload,
        status=PENDING,
        attempts=0,
        not_before=not_before or now,
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(message)
    except IntegrityError:
        if await get_by_dedupe_key(session, dedupe_key) is None:
            raise  # some other constraint failed: not a duplicate
        return False
    return True


@dataclass(frozen=True)
class NewMessage:
    """One row for ``enqueue_many``."""

    dedupe_key: str
    chat_id: int
    kind: str
    payload: dict[str, Any]
    priority: int = Priority.REMINDER


async def enqueue_many(
    session: AsyncSession,
    messages: Sequence[NewMessage],
    *,
    now: datetime,
    not_before: datetime | None = None,
    chunk: int = 500,
) -> int:
    """Queue many messages in a few statements (a broadcast); rows whose dedupe key was queued
    before are skipped. Returns how many rows were new.

    ``INSERT … ON CONFLICT (dedupe_key) DO NOTHING`` exists on both SQLite and PostgreSQL.
    """
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgres_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(OutboxMessage)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboxMessage.id)
    )
    added = 0
    for start in range(0, len(messages), chunk):
        rows = [
            {
                "dedupe_key": m.dedupe_key,
                "chat_id": m.chat_id,
                "kind": m.kind,
                "priority": m.priority,
                "payload": m.payload,
                "status": PENDING,
                "attempts": 0,
                "not_before": not_before or now,
                "created_at": now,
            }
            for m in messages[start : start + chunk]
        ]
        # A parameter list: SQLAlchemy batches it ("insertmanyvalues"), RETURNING included.
        added += len((await session.execute(statement, rows)).all())
    return added


async def get_by_dedupe_key(session: AsyncSession, dedupe_key: str) -> OutboxMessage | None:
    return await session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))


async def pending(
    session: AsyncSession, now: datetime, limit: int, *, lock: bool = False
) -> Sequence[OutboxMessage]:
    """Messages due at ``now``, by priority then age.

    ``lock=True`` claims the rows (PostgreSQL: FOR UPDATE SKIP LOCKED, so several senders share
    the queue without taking the same message; SQLite's single writer needs nothing).
    """
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == PENDING, OutboxMessage.not_before <= now)
        .order_by(OutboxMessage.priority, OutboxMessage.id)
        .limit(limit)
    )
    if lock:
        query = query.with_for_update(skip_locked=True)
    return (await session.scalars(query)).all()


async def claim(
    session: AsyncSession, now: datetime, limit: int, lease_until: datetime
) -> list[tuple[OutboxMessage, datetime]]:
    """Take up to ``limit`` due messages for one sender: each row's ``not_before`` moves to
    ``lease_until`` so other senders skip it. Returns (row, its previous ``not_before``).

    Each row is taken by a compare-and-set UPDATE (still pending, ``not_before`` unchanged):
    on SQLite the read happens before the write lock, so two senders may read the same rows,
    but only one of them can move ``not_before``; the other skips the row.
    """
    taken: list[tuple[OutboxMessage, datetime]] = []
    for row in await pending(session, now, limit, lock=True):
        previous = row.not_before
        result = await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == row.id,
                OutboxMessage.status == PENDING,
                OutboxMessage.not_before == previous,
            )
            .values(not_before=lease_until)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            taken.append((row, previous))
    return taken


async def release(session: AsyncSession, message_id: int, not_before: datetime) -> None:
    """Give a claimed row that was not sent its ``not_before`` back (only while pending)."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == PENDING)
        .values(not_before=not_before)
    )


async def next_due(session: AsyncSession) -> datetime | None:
    """When the earliest pending message comes due (None: the queue is empty)."""
    return await session.scalar(
        select(func.min(OutboxMessage.not_before)).where(OutboxMessage.status == PENDING)
    )


async def get(session: AsyncSession, message_id: int) -> OutboxMessage | None:
    return await session.get(OutboxMessage, message_id)


async def count_due(session: AsyncSession, now: datetime) -> int:
    """Pending messages due by ``now`` (pass now + the lease to include rows being sent)."""
    count = await session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.status == PENDING, OutboxMessage.not_before <= now)
    )
    return int(count or 0)


async def mark_sent(session: AsyncSession, msg: OutboxMessage, now: datetime) -> None:
    msg.status = SENT
    msg.sent_at = now
    msg.attempts += 1
    await session.flush()


async def reschedule(
    session: AsyncSession, msg: OutboxMessage, not_before: datetime, error: str
) -> None:
    """Try again from ``not_before`` without counting an attempt (Telegram asked us to wait)."""
    msg.not_before = not_before
    msg.last_error = error
    await session.flush()


async def mark_failed(
    session: AsyncSession, msg: OutboxMessage, error: str, retry_at: datetime | None
) -> None:
    """Record a failed attempt: pending again from ``retry_at``, or failed for good if None."""
    msg.attempts += 1
    msg.last_error = error
    if retry_at is None:
        msg.status = FAILED
    else:
        msg.status = PENDING
        msg.not_before = retry_at
    await session.flush()
