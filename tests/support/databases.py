"""Throw-away test databases on every configured backend.

SQLite is always available: a fresh file under the test's ``tmp_path``. PostgreSQL is used when
``TEST_POSTGRES_URL`` is set: each database is a fresh schema (``t_<hex>``) in that database,
created on entry and dropped with CASCADE on exit, whatever the test did. A plain URL cannot
route connections into a schema, so tests open databases through ``DatabaseSpec.open()``.

Restart tests open the same spec twice::

    async with make_database(backend, tmp_path) as spec:
        first = await spec.open()
        ...
        await first.close()
        second = await spec.open()  # same SQLite file / same PostgreSQL schema
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from storage.database import Database, open_database

POSTGRES_ENV = "TEST_POSTGRES_URL"
SQLITE = "sqlite"
POSTGRES = "postgres"


def postgres_url() -> str | None:
    """The PostgreSQL server for tests, or None when PostgreSQL tests are off."""
    return os.environ.get(POSTGRES_ENV) or None


def backends() -> list[str]:
    """Backends the storage tests run on: SQLite always, PostgreSQL when configured."""
    return [SQLITE, POSTGRES] if postgres_url() else [SQLITE]


def describe_backends() -> str:
    url = postgres_url()
    if url is None:
        return f"PostgreSQL tests: off (set {POSTGRES_ENV} to enable)"
    shown = make_url(url).set(password=None).render_as_string(hide_password=False)
    return f"PostgreSQL tests: on ({shown})"


@dataclass(frozen=True)
class DatabaseSpec:
    """Where a test database lives; ``open()`` may be called again after closing."""

    backend: str
    url: str
    schema: str | None = None

    async def open(self, *, upgrade: bool = True) -> Database:
        return await open_database(self.url, upgrade=upgrade, schema=self.schema)

    @asynccontextmanager
    async def opened(self, *, upgrade: bool = True) -> AsyncIterator[Database]:
        database = await self.open(upgrade=upgrade)
        try:
            yield database
        finally:
            await database.close()


@asynccontextmanager
async def make_database(
    backend: str, tmp_path: Path, *, name: str = "test"
) -> AsyncIterator[DatabaseSpec]:
    """A fresh, empty database for ``backend`` ("sqlite" or "postgres"), removed afterwards.

    ``name`` tells apart several databases of one test (it names the SQLite file).
    """
    if backend == SQLITE:
        yield DatabaseSpec(SQLITE, f"sqlite+aiosqlite:///{tmp_path / name}.db")
        return
    if backend != POSTGRES:
        raise ValueError(f"unknown test database backend {backend!r}")
    url = postgres_url()
    if url is None:
        raise RuntimeError(f"PostgreSQL test database requested but {POSTGRES_ENV} is not set")
    schema = f"t_{secrets.token_hex(6)}"
    await _admin(url, f'CREATE SCHEMA "{schema}"')
    try:
        yield DatabaseSpec(POSTGRES, url, schema)
    finally:
        await _admin(url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


async def _admin(url: str, statement: str) -> None:
    # A connection left open by a failing test must not make cleanup hang forever.
    engine = create_async_engine(
        url, poolclass=NullPool, connect_args={"server_settings": {"lock_timeout": "15s"}}
    )
    try:
        async with engine.begin() as conn:
            await conn.exec_driver_sql(statement)
    finally:
        await engine.dispose()
