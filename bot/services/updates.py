"""Applying each Telegram update exactly once when several webhook workers share the database.

Telegram delivers an update again until a worker answers 200, and answers come only after the
update's transaction committed. So the update's own transaction records its id
(``processed_updates``) next to what it changes: a redelivery of an applied update finds the id
and is skipped; one whose worker died before committing finds nothing and is applied.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta

from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from storage.repositories import updates

KEEP_PROCESSED = timedelta(hours=24)  # Telegram stops redelivering long before
# PostgreSQL errors after which the transaction is gone but trying again is right:
# serialization failure, deadlock, admin shutdown, cannot connect now.
_RETRY_SQLSTATES = {"40001", "40P01", "57P01", "57P02", "57P03"}


class UpdateNotApplied(Exception):
    """The database failed and the update was rolled back as a whole: deliver it again."""


class InvalidUpdate(ValueError):
    """The body is JSON with an update id but not an update the bot can read."""


def chat_turn(
    sessions: async_sessionmaker[AsyncSession], chat_id: int | None
) -> AbstractAsyncContextManager[AsyncConnection | None]:
    """Wait for this chat's turn across processes; bind the update's session to what it yields
    (None: no lock needed, use ``sessions`` as they are)."""
    return updates.chat_turn(sessions, chat_id)


async def begin_update(session: AsyncSession, update_id: int, now: datetime) -> bool:
    """Record ``update_id`` in the update's transaction; False: it was applied already."""
    return await updates.claim(session, update_id, now)


def rolled_back_by_database(exc: BaseException) -> bool:
    """Whether ``exc`` means the database failed (connection lost, deadlock...), as opposed to a
    bug in a handler, which would fail the same way however often the update came again."""
    if isinstance(exc, OperationalError | InterfaceError | DisconnectionError | PoolTimeoutError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        return code in _RETRY_SQLSTATES
    return False


async def prune_processed(session: AsyncSession, now: datetime) -> int:
    """Forget the updates applied more than ``KEEP_PROCESSED`` ago; how many."""
    return await updates.prune(session, now - KEEP_PROCESSED)
