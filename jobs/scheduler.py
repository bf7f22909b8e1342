"""APScheduler wiring: the scheduler is only the trigger; ``job_runs`` is the truth.

Each job has a deterministic id (its name), takes only its name as argument, coalesces missed
fires into one and is still run when the process wakes up within the org's grace window.
``catch_up`` does the same on start: a job whose latest fire time is at most ``grace_hours`` ago
and whose period has no ``job_runs`` row runs now.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.metrics import Metrics
from bot.org.schema import OrgConfig
from jobs.registry import period_for, previous_fire_time
from jobs.runner import RunOutcome, run_job
from jobs.table import JobHandler, find_spec, job_specs
from storage.repositories import jobs as job_runs


def grace_window(org: OrgConfig) -> timedelta:
    return timedelta(hours=org.report.grace_hours)


def misfire_grace_seconds(org: OrgConfig) -> int:
    # APScheduler needs a positive number of seconds (None would mean "however late").
    return max(1, round(grace_window(org).total_seconds()))


def build_scheduler(
    session_factory: async_sessionmaker[AsyncSession],
    org: OrgConfig,
    clock: Clock,
    handlers: Mapping[str, JobHandler],
    metrics: Metrics | None = None,
) -> AsyncIOScheduler:
    """A scheduler (not started) with one job per ``job_specs(org)``, in the org timezone."""

    async def fire(name: str) -> RunOutcome:
        now = clock.now()
        spec = find_spec(org, name)
        # The run stands for the scheduled fire time, even when it starts a little late.
        at = (previous_fire_time(spec, now) if spec is not None else None) or now
        return await run_job(session_factory, org, name, at, handlers, now=now, metrics=metrics)

    scheduler = AsyncIOScheduler(timezone=org.tz)
    for spec in job_specs(org):
        scheduler.add_job(
            fire,
            trigger=spec.trigger,
            args=[spec.name],
            id=spec.name,
            name=spec.name,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=misfire_grace_seconds(org),
            replace_existing=True,
        )
    return scheduler


async def catch_up(
    session_factory: async_sessionmaker[AsyncSession],
    org: OrgConfig,
    clock: Clock,
    handlers: Mapping[str, JobHandler],
    metrics: Metrics | None = None,
) -> list[RunOutcome]:
    """Run every job missed within the grace window; the outcomes of the runs attempted."""
    now = clock.now()
    outcomes: list[RunOutcome] = []
    for spec in job_specs(org):
        fired = previous_fire_time(spec, now)
        if fired is None or now - fired > grace_window(org):
            continue
        async with session_factory() as session:
            existing = await job_runs.get_run(session, spec.name, period_for(spec, fired))
        if existing is not None:
            continue
        outcome = await run_job(
            session_factory, org, spec.name, fired, handlers, now=now, metrics=metrics
        )
        outcomes.append(outcome)
    return outcomes
