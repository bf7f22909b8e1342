"""aiogram FSM storage in our own database, so a half-filled form survives restarts.

One row per storage key (``fsm_state``): the state as a string, the data as JSON.

Transactions: by default every call runs in its own short transaction and commits it (aiogram
calls the storage outside any request session, e.g. to load the state before the handler).
Inside ``fsm_session(session)`` the calls go through that session instead and commit with it:
a handler that writes through its request session and then changes the form state must use
this, because on SQLite a second connection cannot write while the request transaction holds
the database lock (it would wait for the busy timeout and fail).

Inside a request session the row is read once and written once: the state and data live in
the session (``_Pending``) and are written, as one upsert or delete, just before the session
commits (an early commit included); a rollback forgets them. A form step sets the state and
the data separately, which otherwise took up to eight statements.
"""

from __future__ import annotations

import copy
import math
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from aiogram.exceptions import DataNotDictLikeError
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import (
    BaseStorage,
    DefaultKeyBuilder,
    KeyBuilder,
    StateType,
    StorageKey,
)
from sqlalchemy import CursorResult, delete, event, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction

from bot.clock import Clock, SystemClock
from storage.models import FsmRecord

_request_session: ContextVar[AsyncSession | None] = ContextVar("fsm_request_session", default=None)


@contextmanager
def fsm_session(session: AsyncSession) -> Iterator[None]:
    """Route FSM storage calls made in this context through ``session`` (no commit of its own)."""
    token = _request_session.set(session)
    try:
        yield
    finally:
        _request_session.reset(token)


class SqlStorage(BaseStorage):
    """``BaseStorage`` on SQLAlchemy; portable between SQLite and PostgreSQL."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        clock: Clock | None = None,
        key_builder: KeyBuilder | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._clock: Clock = clock or SystemClock()
        self._key_builder = key_builder or DefaultKeyBuilder(with_bot_id=True, with_destiny=True)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        record_key = self._key_builder.build(key)
        joined = _request_session.get()
        if joined is not None:
            (await self._pending_row(joined, record_key)).set(state=value)
            return
        async with self._own_transaction() as session:
            await self._write(session, record_key, {"state": value})
            if value is None:
                await self._prune(session, record_key)

    async def get_state(self, key: StorageKey) -> str | None:
        record_key = self._key_builder.build(key)
        joined = _request_session.get()
        if joined is not None:
            return (await self._pending_row(joined, record_key)).state
        async with self._session_factory() as session:
            return cast(
                "str | None",
                await session.scalar(select(FsmRecord.state).where(FsmRecord.key == record_key)),
            )

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        value = _checked_data(data)
        record_key = self._key_builder.build(key)
        joined = _request_session.get()
        if joined is not None:
            (await self._pending_row(joined, record_key)).set(data=value)
            return
        async with self._own_transaction() as session:
            await self._write(session, record_key, {"data": value})
            if not value:
                await self._prune(session, record_key)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record_key = self._key_builder.build(key)
        joined = _request_session.get()
        if joined is not None:
            return copy.deepcopy((await self._pending_row(joined, record_key)).data)
        async with self._session_factory() as session:
            return await self._read_data(session, record_key)

    async def update_data(self, key: StorageKey, data: Mapping[str, Any]) -> dict[str, Any]:
        """Merge ``data`` into the stored data atomically (concurrent updates are not lost)."""
        changes = _checked_data(data)
        record_key = self._key_builder.build(key)
        joined = _request_session.get()
        if joined is not None:
            # The request holds the chat (one update of a chat at a time): no other writer.
            row = await self._pending_row(joined, record_key)
            row.set(data={**row.data, **changes})
            return copy.deepcopy(row.data)
        async with self._own_transaction() as session:
            # Touch the row first: that takes the row lock (PostgreSQL) or the database write
            # lock (SQLite) before the read, so the read-modify-write cannot interleave.
            await self._write(session, record_key, {})
            merged = await self._read_data(session, record_key)
            merged.update(changes)
            await self._write(session, record_key, {"data": merged})
        return dict(merged)

    async def close(self) -> None:
        """Nothing to release: the database belongs to whoever opened it."""

    async def _pending_row(self, session: AsyncSession, record_key: str) -> _PendingRow:
        pending = _Pending.of(session, self._clock)
        row = pending.rows.get(record_key)
        if row is None:
            found = (
                await session.execute(
                    select(FsmRecord.state, FsmRecord.data).where(FsmRecord.key == record_key)
                )
            ).one_or_none()
            row = _PendingRow(
                state=found.state if found else None,
                data=dict(found.data) if found and found.data else {},
                stored=found is not None,
            )
            pending.rows[record_key] = row
        return row

    @asynccontextmanager
    async def _own_transaction(self) -> AsyncIterator[AsyncSession]:
        async with self._session_factory() as session, session.begin():
            yield session

    async def _write(self, session: AsyncSession, record_key: str, values: dict[str, Any]) -> None:
        """Update the row, or create it; a concurrent creator makes us update after all."""
        values = {**values, "updated_at": self._clock.now()}
        if await self._update(session, record_key, values):
            return
        row: dict[str, Any] = {"key": record_key, "state": None, "data": {}, **values}
        try:
            async with session.begin_nested():
                await session.execute(insert(FsmRecord).values(**row))
        except IntegrityError:
            if not await self._update(session, record_key, values):
                raise

    async def _update(self, session: AsyncSession, record_key: str, values: dict[str, Any]) -> int:
        result = await session.execute(
            update(FsmRecord)
            .where(FsmRecord.key == record_key)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return cast("CursorResult[Any]", result).rowcount

    async def _read_data(self, session: AsyncSession, record_key: str) -> dict[str, Any]:
        data = await session.scalar(select(FsmRecord.data).where(FsmRecord.key == record_key))
        return dict(data) if data else {}

    async def _prune(self, session: AsyncSession, record_key: str) -> None:
        """Drop the row once it holds neither a state nor data (a cleared form)."""
        row = (
            await session.execute(
                select(FsmRecord.state, FsmRecord.data).where(FsmRecord.key == record_key)
            )
        ).one_or_none()
        if row is not None and row.state is None and not row.data:
            await session.execute(
                delete(FsmRecord)
                .where(FsmRecord.key == record_key)
                .execution_options(synchronize_session=False)
            )


_UNSET: Any = object()


@dataclass
class _PendingRow:
    """One key's state and data as the request sees them; ``changed`` until written."""

    state: str | None
    data: dict[str, Any]
    stored: bool  # a row exists in the database
    changed: bool = False

    def set(self, *, state: str | None = _UNSET, data: dict[str, Any] = _UNSET) -> None:
        if state is not _UNSET:
            self.state = state
        if data is not _UNSET:
            self.data = copy.deepcopy(data)
        self.changed = True


@dataclass
class _Pending:
    """The FSM rows a request session has read or changed, written before it commits."""

    clock: Clock
    rows: dict[str, _PendingRow] = field(default_factory=dict)

    @classmethod
    def of(cls, session: AsyncSession, clock: Clock) -> _Pending:
        pending = session.info.get(_PENDING)
        if pending is None:
            pending = session.info[_PENDING] = cls(clock)
        return cast(_Pending, pending)

    def write(self, session: Session) -> None:
        for record_key, row in self.rows.items():
            if not row.changed:
                continue
            if row.state is None and not row.data:
                if row.stored:
                    session.execute(
                        delete(FsmRecord)
                        .where(FsmRecord.key == record_key)
                        .execution_options(synchronize_session=False)
                    )
            else:
                session.execute(_upsert(session, record_key, row, self.clock.now()))
            row.stored = bool(row.state is not None or row.data)
            row.changed = False


_PENDING = "opsbot_fsm_pending"


def _upsert(session: Session, record_key: str, row: _PendingRow, now: datetime) -> Any:
    postgres = session.get_bind().dialect.name == "postgresql"
    values = {"state": row.state, "data": row.data, "updated_at": now}
    statement = (postgres_insert if postgres else sqlite_insert)(FsmRecord).values(
        key=record_key, **values
    )
    return statement.on_conflict_do_update(index_elements=["key"], set_=values)


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    pending = session.info.get(_PENDING)
    if pending is not None:
        pending.write(session)


@event.listens_for(Session, "after_soft_rollback")
def _forget_pending(session: Session, previous: SessionTransaction) -> None:
    """What was not written is gone with the transaction; read the rows again next time (a
    savepoint rolled back leaves the request's form state as it was)."""
    if not previous.nested:
        session.info.pop(_PENDING, None)


def _checked_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """A plain dict of JSON values, or a clear error naming the offending entry."""
    if not isinstance(data, Mapping):
        raise DataNotDictLikeError(
            f"Data must be a dict or dict-like object, got {type(data).__name__}"
        )
    result = dict(data)
    _check_json(result, "data")
    return result


def _check_json(value: Any, path: str) -> None:
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"FSM {path} is {value}: only finite numbers can be stored")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_json(item, f"{path}[{index}]")
        return
    if isinstance(value, Mapping):
        for name, item in value.items():
            if not isinstance(name, str):
                raise TypeError(f"FSM {path} has a non-string key {name!r}")
            _check_json(item, f"{path}[{name!r}]")
        return
    raise TypeError(
        f"FSM {path} is a {type(value).__name__}: only JSON values "
        "(str, int, float, bool, None, lists, dicts with string keys) can be stored"
    )
