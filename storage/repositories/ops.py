"""Reads for the operations endpoints: is the database answering, which schema revision it is
at, and how many outbox rows wait per priority."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage
from storage.repositories.outbox import PENDING


async def ping(session: AsyncSession) -> None:
    """Raises when the database does not answer."""
    await session.execute(text("SELECT 1"))


async def schema_revision(session: AsyncSession) -> str | None:
    """The Alembic revision the database is at; None when it was never migrated (the failed
    query spoils the transaction on PostgreSQL: the caller's session is for this check only)."""
    try:
        row = await session.execute(text("SELECT version_num FROM alembic_version"))
    except (ProgrammingError, DBAPIError):  # no version table yet
        return None
    return row.scalar_one_or_none()


async def outbox_depth(session: AsyncSession) -> dict[int, int]:
    """Pending rows per priority, in one grouped query."""
    rows = await session.execute(
        select(OutboxMessage.priority, func.count())
        .where(OutboxMessage.status == PENDING)
        .group_by(OutboxMessage.priority)
    )
    return {int(priority): int(count) for priority, count in rows.all()}
