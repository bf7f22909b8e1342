"""aiogram FSM storage in our own database, so a half-filled form survives restarts.

One row per storage key (``fsm_state``): the state as a string, the data as JSON.

Transactions: by default every call runs in its own short transaction and commits it (aiogram
calls the storage outside any request session, e.g. to load the state before the handler).
Inside ``fsm_session(session)`` the calls go through that session instead and commit with it:
a handler that writes through its request session and then changes the form state must use
this, because on SQLite a second connection cannot write while the request transaction holds
the database lock (it would wait for the busy timeout and fail).
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
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
from sqlalchemy import CursorResult, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

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
        async with self._writing() as session:
            await self._write(session, record_key, {"state": value})
            if value is None:
                await self._prune(session, record_key)

    async def get_state(self, key: StorageKey) -> str | None:
        async with self._reading() as session:
            return cast(
                "str | None",
                await session.scalar(
                    select(FsmRecord.state).where(FsmRecord.key == self._key_builder.build(key))
                ),
            )

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        value = _checked_data(data)
        record_key = self._key_builder.build(key)
        async with self._writing() as session:
            await self._write(session, record_key, {"data": value})
            if not value:
                await self._prune(session, record_key)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        async with self._reading() as session:
            return await self._read_data(session, self._key_builder.build(key))

    async def update_data(self, key: StorageKey, data: Mapping[str, Any]) -> dict[str, Any]:
        """Merge ``data`` into the stored data atomically (concurrent updates are not lost)."""
        changes = _checked_data(data)
        record_key = self._key_builder.build(key)
        async with self._writing() as session:
            # Touch the row first: that takes the row lock (PostgreSQL) or the database write
            # lock (SQLite) before the read, so the read-modify-write cannot interleave.
            await self._write(session, record_key, {})
            merged = await self._read_data(session, record_key)
            merged.update(changes)
            await self._write(session, record_key, {"data": merged})
        return dict(merged)

    async def close(self) -> None:
        """Nothing to release: the database belongs to whoever opened it."""

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncSession]:
        joined = _request_session.get()
        if joined is not None:
            yield joined
            return
        async with self._session_factory() as session, session.begin():
            yield session

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[AsyncSession]:
        joined = _request_session.get()
        if joined is not None:
            yield joined
            return
        async with self._session_factory() as session:
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
