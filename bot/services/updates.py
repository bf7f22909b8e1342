"""Applying each Telegram update exactly once when several webhook workers share the database.

Telegram delivers an update again until a worker answers 200, and answers come only after the
update's transaction committed. So the update's own transaction records its id
(``processed_updates``) next to what it changes: a redelivery of an applied update finds the id
and is skipped; one whose worker died before committing finds nothing and is applied.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Any

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


class EarlierUpdatePending(Exception):
    """A button press came before the update that sent its message was applied: that update's
    worker died after replying and Telegram will deliver it again. The press waits for it
    (Telegram queues presses apart from messages, so it can overtake the redelivery)."""

    def __init__(self, update_id: int) -> None:
        super().__init__(f"update {update_id} of this chat is not applied yet")
        self.update_id = update_id


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


async def begin_journaled_update(
    session: AsyncSession, update_id: int, now: datetime
) -> list[dict[str, Any]] | None:
    """``begin_update`` where Bot API calls are journaled (PostgreSQL): the calls an earlier
    attempt made, read in the same statement; None: the update was applied already."""
    return await updates.claim_reading_journal(session, update_id, now)


# How long a press waits for an earlier update of its chat to be applied: Telegram redelivers
# within seconds; after this the press goes ahead (an update that is never coming back, e.g.
# one whose handler failed, must not hold the chat).
HOLD_PRESSES = timedelta(minutes=2)


async def hold_press(session: AsyncSession, chat_id: int, update_id: int, now: datetime) -> None:
    """Raise ``EarlierUpdatePending`` when an earlier update of the chat made Bot API calls but
    was never applied (its messages, and the buttons on them, are ahead of the database)."""
    pending = await updates.unapplied_before(session, chat_id, update_id, now - HOLD_PRESSES)
    if pending is not None:
        raise EarlierUpdatePending(pending)


async def forget_calls(sessions: async_sessionmaker[AsyncSession], update_id: int) -> None:
    """Drop the call journal of an update that failed in its handler: it is not delivered
    again, so nothing will replay it, and it must not hold the chat's presses."""
    async with sessions() as session, session.begin():
        await updates.drop_journal(session, update_id)


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
