"""Engine setup: SQLite pragmas, transactions and savepoints, foreign keys, UTC instants."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support.databases import make_database

from bot.clock import FrozenClock
from storage.database import Database
from storage.engine import SQLITE_BUSY_TIMEOUT_MS
from storage.models import Brand, JobRun, Store

HO_CHI_MINH = timezone(timedelta(hours=7))


async def count(session_factory: async_sessionmaker[AsyncSession], model: type) -> int:
    async with session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_sqlite_pragmas_are_on_for_every_connection(tmp_path: Path) -> None:
    async with make_database("sqlite", tmp_path) as spec, spec.opened() as database:
        for _ in range(2):  # a second pooled connection gets them too
            async with database.engine.connect() as first, database.engine.connect() as second:
                for conn in (first, second):
                    journal = await conn.scalar(text("PRAGMA journal_mode"))
                    foreign_keys = await conn.scalar(text("PRAGMA foreign_keys"))
                    busy = await conn.scalar(text("PRAGMA busy_timeout"))
                    assert (journal, foreign_keys, busy) == ("wal", 1, SQLITE_BUSY_TIMEOUT_MS)


async def test_foreign_keys_are_enforced(session_factory: async_sessionmaker[AsyncSession]) -> None:
    with pytest.raises(IntegrityError):
        async with session_factory() as session, session.begin():
            session.add(Store(code="X", name="X", platform="shopee", brand_id=999))
    assert await count(session_factory, Store) == 0


async def test_released_savepoint_is_undone_by_outer_rollback(
    session_factory: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    async with session_factory() as session:
        await session.begin()
        async with session.begin_nested():
            session.add(JobRun(job="j", period="p", started_at=clock.now()))
        await session.rollback()

    assert await count(session_factory, JobRun) == 0


async def test_rolled_back_savepoint_keeps_outer_work(
    session_factory: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    async with session_factory() as session, session.begin():
        session.add(Brand(code="HS", name="Hasaki"))
        await session.flush()
        with pytest.raises(IntegrityError):
            async with session.begin_nested():
                session.add(Brand(code="HS", name="duplicate"))
        session.add(Brand(code="CC", name="Cocoon"))

    async with session_factory() as session:
        assert (await session.scalars(select(Brand.code).order_by(Brand.code))).all() == [
            "CC",
            "HS",
        ]


async def test_concurrent_read_then_write_transactions_all_commit(db: Database) -> None:
    """Each transaction reads first, yields to the others, then writes (the request pattern)."""

    async def request(index: int) -> None:
        async with db.session_factory() as session, session.begin():
            await session.scalar(select(func.count()).select_from(Brand))
            await asyncio.sleep(0.01)
            session.add(Brand(code=f"B{index}", name=f"brand {index}"))

    await asyncio.gather(*(request(i) for i in range(20)))

    assert await count(db.session_factory, Brand) == 20


async def test_utc_datetime_round_trips_as_aware_utc(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    local = datetime(2026, 11, 21, 10, 30, 15, 123456, tzinfo=HO_CHI_MINH)
    async with session_factory() as session, session.begin():
        session.add(JobRun(job="j", period="p", started_at=local))

    async with session_factory() as session:
        stored = await session.scalar(select(JobRun.started_at))
        assert stored == local
        assert stored is not None and stored.tzinfo == UTC
        assert stored == datetime(2026, 11, 21, 3, 30, 15, 123456, tzinfo=UTC)
        # comparisons in queries work on instants, whatever offset the argument has
        hit = await session.scalar(
            select(func.count())
            .select_from(JobRun)
            .where(JobRun.started_at >= datetime(2026, 11, 21, 3, 30, tzinfo=UTC))
            .where(JobRun.started_at < datetime(2026, 11, 21, 10, 31, tzinfo=HO_CHI_MINH))
        )
        assert hit == 1


async def test_utc_datetime_rejects_naive_values(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        async with session_factory() as session, session.begin():
            session.add(JobRun(job="j", period="p", started_at=datetime(2026, 11, 21, 2, 0)))
    assert await count(session_factory, JobRun) == 0
