"""run_job: at most one run per (job, period), in one transaction with what the job queues."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FrozenClock
from bot.org.loader import load_org
from bot.org.schema import OrgConfig
from jobs.runner import UnknownJobError, run_job
from jobs.table import JobHandler, default_handlers
from storage.models import JobRun, OutboxMessage
from storage.repositories import jobs as job_runs
from storage.repositories import outbox

SF = async_sessionmaker[AsyncSession]
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
AT = datetime(2026, 11, 21, 10, 30, tzinfo=HCM)


@pytest.fixture(scope="module")
def org() -> OrgConfig:
    return load_org(Path("examples/demo-org.yaml"))


class Recorder:
    """A handler that queues one outbox row per call and counts its calls."""

    def __init__(self, *, delay: float = 0.0, fail: bool = False) -> None:
        self.calls: list[str] = []
        self.delay = delay
        self.fail = fail

    async def __call__(
        self, session: AsyncSession, org: OrgConfig, period: str, at: datetime
    ) -> str | None:
        self.calls.append(period)
        await outbox.enqueue(
            session,
            dedupe_key=f"test:{period}:{len(self.calls)}",
            chat_id=1,
            kind="text",
            payload={"text": "hello"},
            now=at,
        )
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail:
            raise RuntimeError("boom")
        return "1 message queued"


async def count(session_factory: SF, model: type) -> int:
    async with session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_second_run_for_the_same_period_does_not_call_the_handler(
    session_factory: SF, org: OrgConfig, clock: FrozenClock
) -> None:
    recorder = Recorder()
    handlers: dict[str, JobHandler] = {"reminder": recorder}
    first = await run_job(session_factory, org, "reminder", AT, handlers, now=clock.now())
    second = await run_job(session_factory, org, "reminder", AT, handlers, now=clock.now())

    assert (first.status, first.period, first.detail) == ("done", "2026-11-21", "1 message queued")
    assert first.ran
    assert second.status == "already_ran" and not second.ran
    assert second.text == "reminder: already ran for 2026-11-21"
    assert recorder.calls == ["2026-11-21"]
    assert await count(session_factory, OutboxMessage) == 1
    async with session_factory() as session:
        run = await job_runs.get_run(session, "reminder", "2026-11-21")
    assert run is not None and run.status == job_runs.DONE and run.detail == "1 message queued"
    assert run.started_at == clock.now() and run.finished_at == clock.now()


async def test_another_period_runs_again(session_factory: SF, org: OrgConfig) -> None:
    recorder = Recorder()
    handlers: dict[str, JobHandler] = {"reminder": recorder}
    await run_job(session_factory, org, "reminder", AT, handlers)
    next_day = await run_job(session_factory, org, "reminder", AT.replace(day=22), handlers)
    assert next_day.status == "done" and next_day.period == "2026-11-22"
    assert recorder.calls == ["2026-11-21", "2026-11-22"]


async def test_concurrent_runs_for_one_period_run_once(session_factory: SF, org: OrgConfig) -> None:
    recorder = Recorder(delay=0.2)  # keeps the first transaction open while the other tries
    handlers: dict[str, JobHandler] = {"reminder": recorder}
    outcomes = await asyncio.gather(
        *(run_job(session_factory, org, "reminder", AT, handlers) for _ in range(2))
    )
    assert sorted(o.status for o in outcomes) == ["already_ran", "done"]
    assert len(recorder.calls) == 1
    assert await count(session_factory, JobRun) == 1
    assert await count(session_factory, OutboxMessage) == 1


async def test_failing_handler_rolls_back_and_a_later_run_retries(
    session_factory: SF, org: OrgConfig, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="jobs.runner"):
        failed = await run_job(
            session_factory, org, "reminder", AT, {"reminder": Recorder(fail=True)}
        )
    assert failed.status == "failed" and failed.detail == "RuntimeError: boom"
    assert "reminder" in failed.text and "boom" in failed.text
    assert any("job reminder failed" in r.getMessage() for r in caplog.records)
    assert await count(session_factory, JobRun) == 0
    assert await count(session_factory, OutboxMessage) == 0  # the queued row went too

    retry = Recorder()
    again = await run_job(session_factory, org, "reminder", AT, {"reminder": retry})
    assert again.status == "done" and retry.calls == ["2026-11-21"]
    assert await count(session_factory, JobRun) == 1
    assert await count(session_factory, OutboxMessage) == 1


async def test_unknown_job_or_missing_handler_is_refused(
    session_factory: SF, org: OrgConfig
) -> None:
    with pytest.raises(UnknownJobError, match="unknown job 'remind'"):
        await run_job(session_factory, org, "remind", AT, default_handlers())
    with pytest.raises(UnknownJobError, match="no handler"):
        await run_job(session_factory, org, "reminder", AT, {})
    assert await count(session_factory, JobRun) == 0


async def test_weekly_period_key_is_recorded(session_factory: SF, org: OrgConfig) -> None:
    outcome = await run_job(session_factory, org, "weekly_digest", AT, default_handlers())
    assert outcome.period == "2026-W47"
