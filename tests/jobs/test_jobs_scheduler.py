"""The scheduler's wiring and the catch-up after a (late) start."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FrozenClock
from bot.org.loader import load_org
from bot.org.schema import OrgConfig
from jobs.runner import RunOutcome, run_job
from jobs.scheduler import build_scheduler, catch_up
from jobs.table import default_handlers
from storage.repositories import jobs as job_runs

SF = async_sessionmaker[AsyncSession]
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(scope="module")
def org() -> OrgConfig:
    return load_org(Path("examples/demo-org.yaml"))


def local(hour: int, minute: int = 0, second: int = 0, day: int = 21) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=HCM)


INTERVAL_JOBS = {"order_sla", "alert_escalation", "prune_updates"}  # every 15 or 30 minutes


def by_name(outcomes: list[RunOutcome]) -> dict[str, str]:
    return {o.job: o.status for o in outcomes}


async def test_scheduler_has_one_job_per_spec_with_its_name_as_id(
    session_factory: SF, org: OrgConfig, clock: FrozenClock
) -> None:
    scheduler = build_scheduler(session_factory, org, clock, default_handlers())
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {
        "nudge",
        "reminder",
        "escalation",
        "alerts",
        "campaign_alerts",
        "alert_escalation",
        "daily_digest",
        "campaign_closing",
        "order_summary",
        "order_sla",
        "prune_updates",
        "weekly_digest",
        "weekly_praise",
        "monthly_digest",
    }
    assert str(scheduler.timezone) == "Asia/Ho_Chi_Minh"
    reminder = jobs["reminder"]
    assert reminder.args == ("reminder",)
    assert reminder.coalesce is True
    assert reminder.misfire_grace_time == 2 * 3600
    assert str(reminder.trigger.timezone) == "Asia/Ho_Chi_Minh"
    fire = reminder.trigger.get_next_fire_time(None, clock.now())  # clock: 09:00 local
    assert fire == local(10, 30)


async def test_started_scheduler_computes_next_run_times_in_the_org_timezone(
    session_factory: SF, org: OrgConfig, clock: FrozenClock
) -> None:
    scheduler = build_scheduler(session_factory, org, clock, default_handlers())
    scheduler.start(paused=True)
    try:
        for job in scheduler.get_jobs():
            assert job.next_run_time is not None
            assert str(job.next_run_time.tzinfo) == "Asia/Ho_Chi_Minh"
            if job.id in INTERVAL_JOBS:
                assert job.next_run_time.minute % 15 == 0
                continue
            assert (job.next_run_time.hour, job.next_run_time.minute) in {
                (9, 45),
                (10, 30),
                (11, 0),
                (11, 15),
                (9, 0),
            }
    finally:
        scheduler.shutdown(wait=False)


async def test_scheduled_fire_runs_the_job_for_its_fire_time(
    session_factory: SF, org: OrgConfig, clock: FrozenClock
) -> None:
    clock.set(local(10, 30, 5))  # the scheduler woke a few seconds late
    scheduler = build_scheduler(session_factory, org, clock, default_handlers())
    job = scheduler.get_job("reminder")
    assert job is not None
    outcome = await job.func(*job.args)
    assert (outcome.job, outcome.period, outcome.status) == ("reminder", "2026-11-21", "done")
    again = await job.func(*job.args)
    assert again.status == "already_ran"


async def test_catch_up_runs_a_reminder_missed_half_an_hour_ago(
    session_factory: SF, org: OrgConfig, clock: FrozenClock
) -> None:
    clock.set(local(11, 0))
    outcomes = await catch_up(session_factory, org, clock, default_handlers())
    statuses = by_name(outcomes)
    assert statuses["reminder"] == "done"  # run and recorded
    assert statuses["nudge"] == "done"  # 09:45, within 2 h
    assert statuses["escalation"] == "done"  # due right now
    assert "weekly_digest" not in statuses and "monthly_digest" not in statuses
    async with session_factory() as session:
        run = await job_runs.get_run(session, "reminder", "2026-11-21")
    assert run is not None and run.started_at == clock.now()


async def test_catch_up_does_not_rerun_a_period_that_ran(
    session_factory: SF, org: OrgConfig, clock: FrozenClock
) -> None:
    await run_job(session_factory, org, "reminder", local(10, 30), default_handlers())
    clock.set(local(11, 0))
    outcomes = await catch_up(session_factory, org, clock, default_handlers())
    assert "reminder" not in by_name(outcomes)
    assert by_name(outcomes)["nudge"] == "done"
    # and a second catch-up finds nothing left to do
    assert await catch_up(session_factory, org, clock, default_handlers()) == []


async def test_catch_up_skips_a_job_older_than_the_grace_window(
    session_factory: SF, org: OrgConfig, clock: FrozenClock
) -> None:
    clock.set(local(13, 0))
    statuses = by_name(await catch_up(session_factory, org, clock, default_handlers()))
    assert "reminder" not in statuses  # 10:30 is 2 h 30 ago
    assert "nudge" not in statuses
    assert statuses["escalation"] == "done"  # 11:00 is exactly 2 h ago: still in the window
    assert statuses["daily_digest"] == "done"


@pytest.mark.parametrize(
    ("now", "runs"),
    [(local(12, 30), True), (local(12, 30) + timedelta(seconds=1), False)],
)
async def test_grace_window_edge_is_inclusive(
    session_factory: SF, org: OrgConfig, clock: FrozenClock, now: datetime, runs: bool
) -> None:
    clock.set(now)
    statuses = by_name(await catch_up(session_factory, org, clock, default_handlers()))
    assert ("reminder" in statuses) is runs


async def test_catch_up_uses_the_configured_grace(
    session_factory: SF, org: OrgConfig, clock: FrozenClock
) -> None:
    short = org.model_copy(update={"report": org.report.model_copy(update={"grace_hours": 0.25})})
    clock.set(local(11, 0))
    statuses = by_name(await catch_up(session_factory, short, clock, default_handlers()))
    # all at 11:00
    assert set(statuses) - INTERVAL_JOBS == {"escalation", "alerts", "campaign_alerts"}


async def test_catch_up_of_weekly_digest_on_monday_morning(
    session_factory: SF, org: OrgConfig, clock: FrozenClock
) -> None:
    clock.set(local(9, 30, day=23))  # Monday
    outcomes = await catch_up(session_factory, org, clock, default_handlers())
    weekly = [o for o in outcomes if o.job == "weekly_digest"]
    assert [(o.period, o.status) for o in weekly] == [("2026-W48", "done")]
