"""Telegram updates applied by webhook workers: the per-chat lock and the processed-update gate.
The caller owns the transaction.

``chat_turn`` holds the chat's advisory lock on PostgreSQL (SQLite has one writer and one
process) while the update is applied, so updates of one chat are applied one at a time across
processes. ``claim`` is then the gate: the update id is inserted in the same transaction as
everything the update changes, so a redelivery finds it and is not applied twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from storage.models import FsmRecord, ProcessedUpdate
from storage.repositories.sql import is_postgres

_LOCK = text("SELECT pg_advisory_lock(:key)")
_UNLOCK = text("SELECT pg_advisory_unlock(:key)")
_ASYNC_COMMIT = text("SET LOCAL synchronous_commit TO OFF")


def chat_lock_key(chat_id: int) -> int:
    """A signed 64-bit advisory lock key for a chat, apart from any other use of advisory locks
    (a plain chat id could equal another subsystem's constant key)."""
    digest = hashlib.blake2b(f"opsbot-chat:{chat_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@asynccontextmanager
async def chat_turn(
    sessions: async_sessionmaker[AsyncSession], chat_id: int | None
) -> AsyncIterator[AsyncConnection | None]:
    """This process's turn at the chat: on PostgreSQL, a connection holding the chat's advisory
    lock, to bind the update's session to; None where no lock is needed (SQLite: one process).

    A session-level lock on a connection kept for the whole update, not a transaction-level
    one: handlers commit before announcing a result and go on in a new transaction, and the
    chat must stay locked across that commit. The lock goes when the update ends, or with the
    connection if the process dies.
    """
    engine = sessions.kw.get("bind")
    if (
        chat_id is None
        or not isinstance(engine, AsyncEngine)
        or engine.dialect.name != "postgresql"
    ):
        yield None
        return
    key = chat_lock_key(chat_id)
    async with engine.connect() as connection:
        await connection.execute(_LOCK, {"key": key})
        await connection.commit()  # the lock outlives this; the session begins its own
        try:
            yield connection
        finally:
            await _unlock(connection, key)


async def _unlock(connection: AsyncConnection, key: int) -> None:
    try:
        if connection.in_transaction():
            await connection.rollback()
        await connection.execute(_UNLOCK, {"key": key})
        await connection.commit()
    except BaseException:
        # Never give the pool a connection that may still hold the lock: closing it frees it.
        await connection.invalidate()
        raise


async def claim(session: AsyncSession, update_id: int, now: datetime) -> bool:
    """Record ``update_id`` as applied; False when it already was (skip the update).

    ``ON CONFLICT DO NOTHING``: a concurrent claim of the same id waits for the other
    transaction and then finds its row, or takes over if that one rolled back.
    """
    insert = postgres_insert if is_postgres(session) else sqlite_insert
    statement = (
        insert(ProcessedUpdate)
        .values(update_id=update_id, processed_at=now)
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(ProcessedUpdate.update_id)
    )
    return (await session.scalar(statement)) is not None


async def claim_reading_journal(
    session: AsyncSession, update_id: int, now: datetime
) -> list[dict[str, Any]] | None:
    """``claim`` and, in the same statement, the calls an earlier attempt at the update made
    (PostgreSQL, where calls are journaled): None when it was applied already."""
    claimed = (
        postgres_insert(ProcessedUpdate)
        .values(update_id=update_id, processed_at=now)
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(ProcessedUpdate.update_id)
        .cte("claimed")
    )
    journal = select(FsmRecord.data).where(FsmRecord.key == f"{JOURNAL_PREFIX}{update_id}")
    row = (
        await session.execute(
            select(
                select(claimed.c.update_id).scalar_subquery().label("claimed"),
                journal.scalar_subquery().label("journal"),
            )
        )
    ).one()
    return None if row.claimed is None else _calls(row.journal)


async def is_processed(session: AsyncSession, update_id: int) -> bool:
    found = await session.scalar(
        select(ProcessedUpdate.update_id).where(ProcessedUpdate.update_id == update_id)
    )
    return found is not None


async def prune(session: AsyncSession, before: datetime) -> int:
    """Forget updates processed before ``before``, and call journals written before it; how many
    processed updates were removed."""
    result = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < before)
    )
    await session.execute(
        delete(FsmRecord).where(
            FsmRecord.key.startswith(JOURNAL_PREFIX, autoescape=True),
            FsmRecord.updated_at < before,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


# The Bot API calls made while applying an update (bot/delivery/call_journal.py) live in the
# key-value table the FSM uses, under keys of their own: aiogram's keys start with "fsm:".
JOURNAL_PREFIX = "update-journal:"


async def journal_calls(session: AsyncSession, update_id: int) -> list[dict[str, Any]]:
    data = await session.scalar(
        select(FsmRecord.data).where(FsmRecord.key == f"{JOURNAL_PREFIX}{update_id}")
    )
    return _calls(data)


def _calls(data: dict[str, Any] | None) -> list[dict[str, Any]]:
    calls = (data or {}).get("calls")
    return list(calls) if isinstance(calls, list) else []


async def save_journal(
    session: AsyncSession,
    update_id: int,
    chat_id: int | None,
    calls: list[dict[str, Any]],
    now: datetime,
) -> None:
    """Write the journal of ``update_id`` in ``chat_id`` (call it in a short transaction of its
    own)."""
    postgres = is_postgres(session)
    if postgres:
        # What matters is surviving the worker's death, not the server's: skip the wait for
        # the disk flush (the row still reaches it within a fraction of a second).
        await session.execute(_ASYNC_COMMIT)
    insert = postgres_insert if postgres else sqlite_insert
    row = {"calls": calls}
    chat = _journal_chat(chat_id)
    statement = insert(FsmRecord).values(
        key=f"{JOURNAL_PREFIX}{update_id}", state=chat, data=row, updated_at=now
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["key"], set_={"data": row, "updated_at": now}
        )
    )


async def drop_journal(session: AsyncSession, update_id: int) -> None:
    await session.execute(delete(FsmRecord).where(FsmRecord.key == f"{JOURNAL_PREFIX}{update_id}"))


async def unapplied_before(
    session: AsyncSession, chat_id: int, update_id: int, since: datetime
) -> int | None:
    """An update of ``chat_id`` older than ``update_id`` that made Bot API calls since ``since``
    but was never applied (its worker died before committing): Telegram will deliver it again."""
    keys = await session.scalars(
        select(FsmRecord.key).where(
            FsmRecord.key.startswith(JOURNAL_PREFIX, autoescape=True),
            FsmRecord.state == _journal_chat(chat_id),
            FsmRecord.updated_at >= since,
        )
    )
    earlier = sorted(
        number for key in keys if (number := int(key.removeprefix(JOURNAL_PREFIX))) < update_id
    )
    if not earlier:
        return None
    applied = set(
        await session.scalars(
            select(ProcessedUpdate.update_id).where(ProcessedUpdate.update_id.in_(earlier))
        )
    )
    return next((number for number in earlier if number not in applied), None)


def _journal_chat(chat_id: int | None) -> str | None:
    return None if chat_id is None else f"chat:{chat_id}"
