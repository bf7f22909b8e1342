"""Fixtures shared by every suite.

Database fixtures run each test on every configured backend: SQLite always, PostgreSQL when
``TEST_POSTGRES_URL`` is set (see ``support.databases``).

* ``backend``        -- "sqlite" or "postgres" (parametrised)
* ``database_spec``  -- a fresh empty database for the test (``DatabaseSpec``; open it yourself,
                        as often as needed, e.g. to simulate a restart)
* ``db``             -- ``storage.database.Database`` on that database, upgraded to head
* ``session_factory``-- ``db.session_factory``
* ``clock``          -- ``FrozenClock`` at 2026-11-21 02:00 UTC (09:00 in Ho Chi Minh City)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support.databases import DatabaseSpec, backends, describe_backends, make_database

from bot.clock import FrozenClock
from storage.database import Database

CLOCK_START = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)


def pytest_report_header(config: pytest.Config) -> str:
    return describe_backends()


@pytest.fixture(params=backends())
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def database_spec(backend: str, tmp_path: Path) -> AsyncIterator[DatabaseSpec]:
    async with make_database(backend, tmp_path) as spec:
        yield spec


@pytest.fixture
async def db(database_spec: DatabaseSpec) -> AsyncIterator[Database]:
    database = await database_spec.open()
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def session_factory(db: Database) -> async_sessionmaker[AsyncSession]:
    return db.session_factory


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(CLOCK_START)
