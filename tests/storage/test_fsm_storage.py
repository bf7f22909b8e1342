"""The SQL-backed aiogram FSM storage: round trips, restarts, isolation, concurrency."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import pytest
from aiogram.exceptions import DataNotDictLikeError
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support.databases import DatabaseSpec

from bot.clock import FrozenClock
from storage.database import Database
from storage.fsm import SqlStorage, fsm_session
from storage.models import Brand, FsmRecord

KEY = StorageKey(bot_id=42, chat_id=1001, user_id=1001)

FORM_DATA: dict[str, Any] = {
    "store": "HS-SHOPEE",
    "note": "Doanh thu hôm qua tăng 12,5%",
    "gmv": 12_500_000,
    "big": 2**53 + 1,
    "cr": 0.0375,
    "whole_float": 3.0,
    "confirmed": True,
    "skipped": False,
    "comment": None,
    "metrics": ["gmv", "orders", 7, 1.5, None, True],
    "nested": {"answers": {"gmv": 1.0, "orders": [1, 2, {"x": None}]}, "empty": {}, "list": []},
}


class Report(StatesGroup):
    store = State()
    numbers = State()


@pytest.fixture
def storage(session_factory: async_sessionmaker[AsyncSession], clock: FrozenClock) -> SqlStorage:
    return SqlStorage(session_factory, clock=clock)


async def fsm_rows(session_factory: async_sessionmaker[AsyncSession]) -> int:
    async with session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(FsmRecord)) or 0)


async def test_unknown_key_has_no_state_and_no_data(storage: SqlStorage) -> None:
    assert await storage.get_state(KEY) is None
    assert await storage.get_data(KEY) == {}
    assert await storage.get_value(KEY, "missing", "default") == "default"


async def test_state_round_trip_accepts_state_objects_and_strings(storage: SqlStorage) -> None:
    await storage.set_state(KEY, Report.store)
    assert await storage.get_state(KEY) == "Report:store"

    await storage.set_state(KEY, "Report:numbers")
    assert await storage.get_state(KEY) == Report.numbers.state


async def test_data_round_trip_keeps_json_types(storage: SqlStorage) -> None:
    await storage.set_data(KEY, FORM_DATA)

    stored = await storage.get_data(KEY)

    assert stored == FORM_DATA
    assert type(stored["whole_float"]) is float
    assert type(stored["gmv"]) is int
    assert type(stored["confirmed"]) is bool
    assert await storage.get_value(KEY, "cr") == 0.0375


async def test_returned_data_is_a_copy(storage: SqlStorage) -> None:
    await storage.set_data(KEY, {"a": 1})
    data = await storage.get_data(KEY)
    data["a"] = 2
    assert await storage.get_data(KEY) == {"a": 1}


async def test_state_and_data_are_independent(storage: SqlStorage) -> None:
    await storage.set_data(KEY, {"store": "HS"})
    await storage.set_state(KEY, Report.numbers)
    await storage.set_data(KEY, {"store": "CC"})

    assert await storage.get_state(KEY) == "Report:numbers"
    assert await storage.get_data(KEY) == {"store": "CC"}


async def test_update_data_merges_and_returns_the_result(storage: SqlStorage) -> None:
    assert await storage.update_data(KEY, {"a": 1}) == {"a": 1}
    assert await storage.update_data(KEY, {"b": [1, 2]}) == {"a": 1, "b": [1, 2]}
    assert await storage.update_data(KEY, {"a": None}) == {"a": None, "b": [1, 2]}
    assert await storage.get_data(KEY) == {"a": None, "b": [1, 2]}


async def test_keys_are_isolated(storage: SqlStorage) -> None:
    others = [
        StorageKey(bot_id=42, chat_id=1002, user_id=1002),  # another user
        StorageKey(bot_id=42, chat_id=-500, user_id=1001),  # same user in a group
        StorageKey(bot_id=43, chat_id=1001, user_id=1001),  # another bot
        StorageKey(bot_id=42, chat_id=-500, user_id=1001, thread_id=7),  # a forum topic
        StorageKey(bot_id=42, chat_id=1001, user_id=1001, destiny="scene"),
    ]
    await storage.set_state(KEY, Report.store)
    await storage.set_data(KEY, {"mine": True})

    for index, other in enumerate(others):
        assert await storage.get_state(other) is None
        assert await storage.get_data(other) == {}
        await storage.set_state(other, f"Other:{index}")
        await storage.set_data(other, {"index": index})

    assert await storage.get_state(KEY) == "Report:store"
    assert await storage.get_data(KEY) == {"mine": True}
    for index, other in enumerate(others):
        assert await storage.get_state(other) == f"Other:{index}"
        assert await storage.get_data(other) == {"index": index}


async def test_clear_through_fsm_context_removes_the_row(
    storage: SqlStorage, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    context = FSMContext(storage=storage, key=KEY)
    await context.set_state(Report.numbers)
    await context.update_data(store="HS", gmv=1.5)
    assert await fsm_rows(session_factory) == 1

    await context.clear()

    assert await context.get_state() is None
    assert await context.get_data() == {}
    assert await fsm_rows(session_factory) == 0


async def test_clearing_only_the_state_keeps_the_data(storage: SqlStorage) -> None:
    await storage.set_state(KEY, Report.store)
    await storage.set_data(KEY, {"store": "HS"})

    await storage.set_state(KEY, None)

    assert await storage.get_state(KEY) is None
    assert await storage.get_data(KEY) == {"store": "HS"}

    await storage.set_state(KEY, Report.store)
    await storage.set_data(KEY, {})
    assert await storage.get_state(KEY) == "Report:store"
    assert await storage.get_data(KEY) == {}


async def test_updated_at_comes_from_the_clock(
    storage: SqlStorage, session_factory: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    await storage.set_state(KEY, Report.store)
    clock.advance(timedelta(minutes=5))
    await storage.set_data(KEY, {"a": 1})

    async with session_factory() as session:
        assert await session.scalar(select(FsmRecord.updated_at)) == clock.now()


async def test_form_survives_a_restart(database_spec: DatabaseSpec, clock: FrozenClock) -> None:
    async with database_spec.opened() as before_restart:
        storage = SqlStorage(before_restart.session_factory, clock=clock)
        await storage.set_state(KEY, Report.numbers)
        await storage.set_data(KEY, FORM_DATA)
        await storage.close()

    async with database_spec.opened() as after_restart:
        storage = SqlStorage(after_restart.session_factory, clock=clock)
        assert await storage.get_state(KEY) == "Report:numbers"
        assert await storage.get_data(KEY) == FORM_DATA


async def test_close_leaves_the_database_usable(storage: SqlStorage, db: Database) -> None:
    await storage.close()
    await storage.set_state(KEY, Report.store)
    assert await storage.get_state(KEY) == "Report:store"


async def test_concurrent_set_data_on_one_key(storage: SqlStorage) -> None:
    payloads = [{"writer": i, "values": list(range(i))} for i in range(20)]

    await asyncio.gather(*(storage.set_data(KEY, payload) for payload in payloads))

    assert await storage.get_data(KEY) in payloads


async def test_concurrent_first_writes_on_one_key(storage: SqlStorage) -> None:
    """Every writer finds no row and tries to create it: the losers update instead."""
    await asyncio.gather(
        *(storage.set_state(KEY, f"S:{i}") for i in range(10)),
        *(storage.set_data(KEY, {"i": i}) for i in range(10)),
    )

    assert (await storage.get_state(KEY) or "").startswith("S:")
    assert set(await storage.get_data(KEY)) == {"i"}


async def test_concurrent_update_data_loses_nothing(storage: SqlStorage) -> None:
    await asyncio.gather(*(storage.update_data(KEY, {f"k{i}": i}) for i in range(20)))

    assert await storage.get_data(KEY) == {f"k{i}": i for i in range(20)}


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"when": object()}, TypeError),
        ({"nested": {"when": {1, 2}}}, TypeError),
        ({"nested": {1: "int key"}}, TypeError),
        ({"nan": float("nan")}, ValueError),
        ({"inf": [float("inf")]}, ValueError),
    ],
)
async def test_non_json_data_is_refused_before_writing(
    storage: SqlStorage, data: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        await storage.set_data(KEY, data)
    with pytest.raises(error):
        await storage.update_data(KEY, data)
    assert await storage.get_data(KEY) == {}


async def test_non_mapping_data_is_refused(storage: SqlStorage) -> None:
    with pytest.raises(DataNotDictLikeError):
        await storage.set_data(KEY, [("a", 1)])  # type: ignore[arg-type]


async def test_request_session_carries_fsm_writes(
    storage: SqlStorage, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    """A handler that has written through its session can still change the form state.

    Without ``fsm_session`` the storage would need a second writer, which SQLite only gets
    after the request commits: the call would wait out the busy timeout and fail.
    """
    started = time.monotonic()
    async with session_factory() as session, session.begin():
        with fsm_session(session):
            session.add(Brand(code="HS", name="Hasaki"))
            await session.flush()
            await storage.set_state(KEY, Report.numbers)
            await storage.update_data(KEY, {"store": "HS"})
            assert await storage.get_state(KEY) == "Report:numbers"
    assert time.monotonic() - started < 2

    assert await storage.get_state(KEY) == "Report:numbers"
    assert await storage.get_data(KEY) == {"store": "HS"}


async def test_request_session_rollback_discards_fsm_writes(
    storage: SqlStorage, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await storage.set_state(KEY, Report.store)

    with pytest.raises(RuntimeError):
        async with session_factory() as session, session.begin():
            with fsm_session(session):
                await storage.set_state(KEY, Report.numbers)
                await storage.set_data(KEY, {"half": "done"})
                raise RuntimeError("handler failed")

    assert await storage.get_state(KEY) == "Report:store"
    assert await storage.get_data(KEY) == {}
