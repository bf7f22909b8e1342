"""job_runs: one run per (job, period), decided inside the caller's transaction."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FrozenClock
from storage.models import JobRun, OutboxMessage
from storage.repositories import jobs, outbox

SF = async_sessionmaker[AsyncSession]


async def count(session_factory: SF, model: type) -> int:
    async with session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_second_start_for_a_period_returns_none_and_keeps_the_transaction(
    session_factory: SF, clock: FrozenClock
) -> None:
    now = clock.now()
    async with session_factory() as session, session.begin():
        run = await jobs.try_start_run(session, "reminders", "2026-11-21", now)
        assert run is not None and run.id is not None and run.status == jobs.RUNNING

        assert await jobs.try_start_run(session, "reminders", "2026-11-21", now) is None

        # the transaction is still usable after the refused insert
        other = await jobs.try_start_run(session, "reminders", "2026-11-22", now)
        assert other is not None
        await jobs.finish_run(session, run, now, jobs.DONE, "3 reminders")

    async with session_factory() as session:
        rows = (await session.scalars(select(JobRun).order_by(JobRun.period))).all()
        assert [(r.period, r.status, r.detail) for r in rows] == [
            ("2026-11-21", "done", "3 reminders"),
            ("2026-11-22", "running", None),
        ]


async def test_a_committed_run_blocks_later_transactions(
    session_factory: SF, clock: FrozenClock
) -> None:
    async with session_factory() as session, session.begin():
        assert await jobs.try_start_run(session, "digest", "2026-W47", clock.now()) is not None

    async with session_factory() as session, session.begin():
        assert await jobs.try_start_run(session, "digest", "2026-W47", clock.now()) is None
        assert await jobs.try_start_run(session, "escalation", "2026-W47", clock.now()) is not None


async def test_run_and_queued_messages_commit_or_roll_back_together(
    session_factory: SF, clock: FrozenClock
) -> None:
    now = clock.now()
    with pytest.raises(RuntimeError):
        async with session_factory() as session, session.begin():
            assert await jobs.try_start_run(session, "reminders", "2026-11-21", now) is not None
            await outbox.enqueue(
                session, dedupe_key="r:1", chat_id=1, kind="reminder", payload={}, now=now
            )
            raise RuntimeError("crash before commit")

    assert await count(session_factory, JobRun) == 0
    assert await count(session_factory, OutboxMessage) == 0

    async with session_factory() as session, session.begin():  # the catch-up run may proceed
        assert await jobs.try_start_run(session, "reminders", "2026-11-21", now) is not None


async def test_two_instances_racing_for_a_period_start_it_once(
    session_factory: SF, clock: FrozenClock
) -> None:
    async def instance() -> bool:
        async with session_factory() as session, session.begin():
            run = await jobs.try_start_run(session, "alerts", "2026-11-21T10:30", clock.now())
            await asyncio.sleep(0.05)  # hold the transaction open while the other one tries
            return run is not None

    results = await asyncio.gather(*(instance() for _ in range(5)))

    assert sorted(results) == [False, False, False, False, True]
    assert await count(session_factory, JobRun) == 1


async def test_other_integrity_errors_are_not_taken_for_duplicates(
    session_factory: SF, clock: FrozenClock
) -> None:
    async with session_factory() as session, session.begin():
        with pytest.raises(IntegrityError):
            await jobs.try_start_run(session, None, "p", clock.now())  # type: ignore[arg-type]


async def test_last_runs_newest_first(session_factory: SF, clock: FrozenClock) -> None:
    async with session_factory() as session, session.begin():
        for day in range(1, 6):
            run = await jobs.try_start_run(session, "digest", f"2026-11-{day:02d}", clock.now())
            assert run is not None
            await jobs.finish_run(
                session, run, clock.now() + timedelta(seconds=1), jobs.FAILED, "boom"
            )
            clock.advance(timedelta(days=1))
        await jobs.try_start_run(session, "other", "2026-11-01", clock.now())

    async with session_factory() as session:
        runs = await jobs.last_runs(session, "digest", 3)
        assert [r.period for r in runs] == ["2026-11-05", "2026-11-04", "2026-11-03"]
        assert all(r.status == "failed" and r.finished_at is not None for r in runs)
        assert runs[0].finished_at == runs[0].started_at + timedelta(seconds=1)
        found = await jobs.get_run(session, "other", "2026-11-01")
        assert found is not None and found.job == "other"
