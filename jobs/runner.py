"""Run one job for one period, at most once.

The ``job_runs`` row (unique per job and period) and everything the handler writes (outbox rows)
go into ONE transaction: a duplicate period means the handler is not called; a handler that
raises rolls the whole transaction back, so no row is left and a later run may retry.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.metrics import Metrics
from bot.org.schema import OrgConfig
from jobs.registry import period_for
from jobs.table import JobHandler, find_spec, job_specs
from storage.repositories import jobs as job_runs
from storage.repositories import outbox

log = logging.getLogger(__name__)

Status = Literal["done", "already_ran", "failed"]


class UnknownJobError(LookupError):
    """The job is not scheduled in this org file, or has no handler."""


@dataclass(frozen=True)
class RunOutcome:
    job: str
    period: str
    status: Status
    detail: str | None = None

    @property
    def ran(self) -> bool:
        """Whether this call recorded the run, as opposed to finding one."""
        return self.status == "done"

    @property
    def text(self) -> str:
        if self.status == "already_ran":
            return f"{self.job}: already ran for {self.period}"
        if self.status == "failed":
            return f"{self.job}: failed for {self.period}: {self.detail}"
        suffix = f": {self.detail}" if self.detail else ""
        return f"{self.job}: {self.status} for {self.period}{suffix}"


async def run_job(
    session_factory: async_sessionmaker[AsyncSession],
    org: OrgConfig,
    name: str,
    at: datetime,
    handlers: Mapping[str, JobHandler],
    *,
    now: datetime | None = None,
    metrics: Metrics | None = None,
) -> RunOutcome:
    """Run job ``name`` for the period ``at`` falls in, unless that period already ran.

    ``at`` is the (scheduled) time the run stands for; ``now`` the instant recorded as its start
    and finish (default: ``at``). Raises ``UnknownJobError`` for an unknown name.
    """
    outcome = await _run_job(session_factory, org, name, at, handlers, now)
    if metrics is not None:
        metrics.job_ran(name, outcome.status)
    return outcome


async def _run_job(
    session_factory: async_sessionmaker[AsyncSession],
    org: OrgConfig,
    name: str,
    at: datetime,
    handlers: Mapping[str, JobHandler],
    now: datetime | None,
) -> RunOutcome:
    spec = find_spec(org, name)
    if spec is None:
        known = ", ".join(s.name for s in job_specs(org))
        raise UnknownJobError(f"unknown job {name!r}; scheduled jobs: {known}")
    handler = handlers.get(name)
    if handler is None:
        raise UnknownJobError(f"no handler for job {name!r}")
    if at.tzinfo is None:
        raise ValueError("run_job needs an aware datetime")
    period = period_for(spec, at)
    started = now or at
    try:
        async with session_factory() as session, session.begin():
            run = await job_runs.try_start_run(session, name, period, started)
            if run is None:
                return RunOutcome(name, period, "already_ran")
            outbox.queue_as_of(session, at, started)  # a late run's messages are not born stale
            detail = await handler(session, org, period, at)
            await job_runs.finish_run(session, run, started, job_runs.DONE, detail)
    except Exception as exc:
        log.exception("job %s failed for %s; rolled back, a later run may retry", name, period)
        return RunOutcome(name, period, "failed", f"{type(exc).__name__}: {exc}")
    log.info("job %s done for %s: %s", name, period, detail or "")
    return RunOutcome(name, period, "done", detail)
