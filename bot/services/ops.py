"""Health of the process's database for the operations endpoints (/readyz, /metrics)."""

from __future__ import annotations

from functools import cache

from sqlalchemy.ext.asyncio import AsyncSession

from storage.migrate import head_revision
from storage.repositories import ops


@cache
def shipped_head() -> str | None:
    """The newest schema revision this code ships (read from the scripts once)."""
    return head_revision()


async def database_state(session: AsyncSession, *, check_schema: bool) -> str | None:
    """None when the database answers (and, if asked, is at the shipped head); else why not."""
    await ops.ping(session)
    if not check_schema:
        return None
    revision = await ops.schema_revision(session)
    head = shipped_head()
    if revision != head:
        return f"schema at {revision or 'nothing'}, code expects {head}"
    return None


async def outbox_depth(session: AsyncSession) -> dict[int, int]:
    return await ops.outbox_depth(session)
