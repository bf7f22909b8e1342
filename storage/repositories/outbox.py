"""The transactional outbox of proactive messages. The caller owns the transaction.

A job or service ``enqueue``s in the transaction that decided to send; the sender takes
``pending`` rows, delivers them and marks each one ``sent`` or ``failed`` (with a retry time, or
for good). The dedupe key makes enqueueing idempotent: the same reminder is never queued twice.

A row that goes stale before it is sent (``expires_at``, by default from its kind) is never
sent: ``expire`` marks it ``expired``. A row queued with a ``subject`` (or ``replaces``) makes
the unsent rows of those subjects to the same chat stale: they are marked ``superseded``.
Nothing is deleted: every row keeps its final status for audit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.outbox import Priority, default_expiry
from storage.models import OutboxMessage
from storage.repositories.sql import is_postgres

PENDING = "pending"
SENT = "sent"
FAILED = "failed"
EXPIRED = "expired"
SUPERSEDED = "superseded"
_QUEUED_AT = "outbox_queued_at"


def queue_as_of(session: AsyncSession, stands_for: datetime, real_now: datetime) -> None:
    """Rows this session queues ``now=stands_for`` are really queued at ``real_now`` (a job run
    late, or by hand for a past time): their expiry moves by the delay, so they keep the
    lifetime they would have had instead of being born stale."""
    session.info[_QUEUED_AT] = real_now - stands_for


def _expiry(
    session: AsyncSession, kind: str, now: datetime, given: datetime | None
) -> datetime | None:
    expires_at = given if given is not None else default_expiry(kind, now)
    delay = session.info.get(_QUEUED_AT)
    if expires_at is not None and isinstance(delay, timedelta) and delay > timedelta(0):
        return expires_at + delay
    return expires_at


def _fresh(now: datetime) -> ColumnElement[bool]:
    return or_(OutboxMessage.expires_at.is_(None), OutboxMessage.expires_at > now)


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
    expires_at: datetime | None = None,
    subject: str | None = None,
    replaces: Sequence[str] = (),
) -> bool:
    """Queue a message; False (and nothing written) if ``dedupe_key`` was queued before.

    ``expires_at`` defaults to the lifetime of ``kind`` (``bot.domain.outbox``). ``subject``
    names what the message is about; the unsent rows to the same chat whose subject is in
    ``replaces`` (this one's own subject included) are superseded: the new message makes them
    stale. The insert happens in a SAVEPOINT, so a duplicate leaves the caller's transaction
    usable.
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
        expires_at=_expiry(session, kind, now, expires_at),
        subject=subject,
        parts_sent=0,
    )
    try:
        async with session.begin_nested():
            session.add(message)
    except IntegrityError:
        if await get_by_dedupe_key(session, dedupe_key) is None:
            raise  # some other constraint failed: not a duplicate
        return False
    stale = {*replaces, *([subject] if subject is not None else [])}
    if stale:
        await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.subject.in_(sorted(stale)),
                OutboxMessage.chat_id == chat_id,
                OutboxMessage.status == PENDING,
                OutboxMessage.parts_sent == 0,
                OutboxMessage.id < message.id,
            )
            .values(status=SUPERSEDED, last_error=f"superseded by #{message.id}")
            .execution_options(synchronize_session=False)
        )
    return True


@dataclass(frozen=True)
class NewMessage:
    """One row for ``enqueue_many``."""

    dedupe_key: str
    chat_id: int
    kind: str
    payload: dict[str, Any]
    priority: int = Priority.REMINDER
    expires_at: datetime | None = None  # None: from the kind


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
    insert = postgres_insert if is_postgres(session) else sqlite_insert
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
                "expires_at": _expiry(session, m.kind, now, m.expires_at),
                "parts_sent": 0,
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
    """Messages due at ``now`` and not stale, by priority then age.

    ``lock=True`` claims the rows (PostgreSQL: FOR UPDATE SKIP LOCKED, so several senders share
    the queue without taking the same message; SQLite's single writer needs nothing).
    """
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == PENDING, OutboxMessage.not_before <= now, _fresh(now))
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

    The rows are taken by one compare-and-set UPDATE (still pending and still due): on SQLite
    the read happens before the write lock, so two senders may read the same rows, but only one
    of them can move ``not_before`` past ``now``; the other skips the row.
    """
    rows = await pending(session, now, limit, lock=True)
    if not rows:
        return []
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_([row.id for row in rows]),
            OutboxMessage.status == PENDING,
            OutboxMessage.not_before <= now,
        )
        .values(not_before=lease_until)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    won = set(result.scalars())
    # The loaded rows keep the ``not_before`` they had before the lease.
    return [(row, row.not_before) for row in rows if row.id in won]


async def renew(
    session: AsyncSession, ids: Sequence[int], lease_until: datetime, new_lease: datetime
) -> set[int]:
    """Extend the lease of claimed rows still held (pending, leased until ``lease_until``);
    returns their ids. A row missing from the answer was lost: do not send it."""
    if not ids:
        return set()
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(ids),
            OutboxMessage.status == PENDING,
            OutboxMessage.not_before == lease_until,
        )
        .values(not_before=new_lease)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    return set(result.scalars())


async def release(
    session: AsyncSession, ids: Sequence[int], lease_until: datetime, not_before: datetime
) -> None:
    """Give claimed rows that were not sent their ``not_before`` back, as long as they are
    still ours (pending and leased until ``lease_until``)."""
    if not ids:
        return
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(ids),
            OutboxMessage.status == PENDING,
            OutboxMessage.not_before == lease_until,
        )
        .values(not_before=not_before)
        .execution_options(synchronize_session=False)
    )


async def expire(session: AsyncSession, now: datetime, limit: int) -> list[OutboxMessage]:
    """Mark up to ``limit`` stale rows ``expired`` (pending, due, past ``expires_at``) and
    return them, oldest first. Rows leased by a sender are left until their lease ends."""
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == PENDING,
            OutboxMessage.expires_at <= now,
            OutboxMessage.not_before <= now,
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = (await session.scalars(query)).all()
    if not rows:
        return []
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_([row.id for row in rows]),
            OutboxMessage.status == PENDING,
            OutboxMessage.not_before <= now,
        )
        .values(status=EXPIRED, last_error="expired: stale before it could be sent")
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    won = set(result.scalars())
    return [row for row in rows if row.id in won]


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


async def mark_part_sent(session: AsyncSession, msg: OutboxMessage) -> None:
    """One more call of a message sent as several went out; the rest follow."""
    msg.parts_sent += 1
    await session.flush()


async def mark_sent(session: AsyncSession, msg: OutboxMessage, now: datetime) -> None:
    """The message (its last call, when it went out as several) was delivered."""
    msg.status = SENT
    msg.sent_at = now
    msg.attempts += 1
    msg.parts_sent += 1
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
