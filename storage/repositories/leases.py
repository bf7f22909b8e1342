"""Named leases: one holder at a time across every process on the database. The caller owns the
transaction.

``acquire`` takes a free or expired lease, or renews one we hold, in ONE statement (an upsert
whose update only applies when we are the holder or the lease has expired), so two processes
racing for it cannot both win. Times come from the caller's clock; holders renew well before
expiry, so a small skew between hosts only shortens a takeover.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Lease
from storage.repositories.sql import is_postgres


@dataclass(frozen=True)
class LeaseState:
    held: bool  # True: the caller holds the lease until ``expires_at``
    holder: str | None  # who holds it now (None: nobody)
    expires_at: datetime | None
    # When the caller just took the lease over from another holder: when that one's ended.
    previous_until: datetime | None = None


async def acquire(
    session: AsyncSession, name: str, holder: str, now: datetime, ttl: timedelta
) -> LeaseState:
    """Take ``name`` for ``holder`` until ``now + ttl`` if it is free, expired or already ours."""
    expires_at = now + ttl
    before = await current_holder(session, name)
    before_holder = before.holder if before is not None else None
    before_until = before.expires_at if before is not None else None
    insert = postgres_insert if is_postgres(session) else sqlite_insert
    values = insert(Lease).values(name=name, holder=holder, acquired_at=now, expires_at=expires_at)
    statement = values.on_conflict_do_update(
        index_elements=[Lease.name],
        set_={
            "holder": values.excluded.holder,
            "expires_at": values.excluded.expires_at,
            # A renewal keeps the time the holder first took it.
            "acquired_at": case(
                (Lease.holder == values.excluded.holder, Lease.acquired_at),
                else_=values.excluded.acquired_at,
            ),
        },
        where=or_(Lease.holder == holder, Lease.expires_at <= now),
    ).returning(Lease.holder)
    won = (await session.execute(statement)).scalar_one_or_none()
    if won == holder:
        taken_over = before_holder is not None and before_holder != holder
        return LeaseState(True, holder, expires_at, before_until if taken_over else None)
    current = await current_holder(session, name)
    if current is None:
        return LeaseState(False, None, None)
    return LeaseState(current.holder == holder, current.holder, current.expires_at)


async def current_holder(session: AsyncSession, name: str) -> Lease | None:
    return await session.scalar(
        select(Lease).where(Lease.name == name).execution_options(populate_existing=True)
    )


async def release(session: AsyncSession, name: str, holder: str, now: datetime) -> bool:
    """Give ``name`` up if ``holder`` holds it (a clean stop); True if it did. The row stays,
    expired now, so the next holder knows when this one stopped."""
    result = await session.execute(
        update(Lease)
        .where(Lease.name == name, Lease.holder == holder)
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def serialise(session: AsyncSession, name: str) -> None:
    """Hold ``name`` until the caller's transaction ends, so that the same work done by several
    processes at once (the org sync on start) runs one after the other: the later one then
    finds the rows the first one wrote instead of inserting them again."""
    if is_postgres(session):
        key = zlib.crc32(name.encode()) - 2**31  # a signed 32-bit key per name
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        return
    # SQLite: the first write opens the transaction with BEGIN IMMEDIATE (storage/engine.py),
    # which holds the database's write lock until commit; this one changes no row.
    await session.execute(
        update(Lease).where(Lease.name == name, Lease.name != name).values(holder=Lease.holder)
    )
