"""Engine and session factory. SQLite gets WAL, a busy timeout and foreign keys.

SQLite transactions: Python's ``sqlite3`` module, left to itself, opens a transaction only
before INSERT/UPDATE/DELETE. A ``SAVEPOINT`` issued first then becomes the outermost
transaction and its ``RELEASE`` commits everything, so a nested block would silently commit
the caller's work. We switch the driver's own handling off and open the transaction ourselves,
just before the first statement that writes (DML, DDL or SAVEPOINT), with ``BEGIN IMMEDIATE``:

* savepoints nest inside the real transaction and DDL is transactional;
* reads before the first write do not pin a snapshot, so a later write never fails with
  "database is locked" because another connection committed in between; waiting for the
  write lock goes through the busy timeout instead.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT_MS = 5000
# PostgreSQL connections kept open: an update holds one for its whole transaction, so as many
# as updates in flight. With SQLAlchemy's default of 5, twenty people asking at once opened and
# closed fifteen connections per burst (a server process each, and every statement prepared
# again on each), which showed as event-loop stalls.
POSTGRES_POOL_SIZE = 20
POSTGRES_MAX_OVERFLOW = 20

_WRITE_KEYWORDS = frozenset(
    {"INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER", "SAVEPOINT"}
)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(url: str, *, pool_size: int | None = None, **kwargs: Any) -> AsyncEngine:
    if not is_sqlite(url):
        kwargs.setdefault("pool_size", pool_size or POSTGRES_POOL_SIZE)
        kwargs.setdefault("max_overflow", POSTGRES_MAX_OVERFLOW)
    engine = create_async_engine(url, **kwargs)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "before_cursor_execute", _sqlite_begin_before_write)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver must not open (or commit) transactions on its own: see the module docstring.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_before_write(
    conn: Connection,
    cursor: Any,
    statement: str,
    _parameters: Any,
    context: DefaultExecutionContext | None,
    _executemany: bool,
) -> None:
    if not _is_write(statement, context):
        return
    if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return
    driver_connection = conn.connection.driver_connection
    if driver_connection is None or driver_connection.in_transaction:
        return
    cursor.execute("BEGIN IMMEDIATE")


def _is_write(statement: str, context: DefaultExecutionContext | None) -> bool:
    if context is not None and (
        context.isinsert or context.isupdate or context.isdelete or context.isddl
    ):
        return True
    words = statement.lstrip().split(None, 1)
    return bool(words) and words[0].upper() in _WRITE_KEYWORDS


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
