"""Every scheduled job in one table: its name, when it fires and what it runs.

The order is the order they fire during a day; ``opsbot jobs list`` shows them so.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.org.schema import OrgConfig
from jobs import (
    alert_jobs,
    campaign_jobs,
    digest_jobs,
    escalation,
    maintenance,
    order_jobs,
    praise_jobs,
    reminders,
)
from jobs.registry import JobSpec, Schedule, daily, every, monthly, weekly

JobHandler = Callable[[AsyncSession, OrgConfig, str, datetime], Awaitable[str | None]]
"""``async (session, org, period, at) -> detail``: queues its messages through ``session``."""


@dataclass(frozen=True)
class Job:
    name: str  # also the scheduler's job id and the key of ``job_runs``
    schedule: Schedule
    handler: JobHandler


JOBS: tuple[Job, ...] = (
    Job("nudge", daily(lambda s: s.nudge), reminders.nudge_job),  # only when configured
    Job("reminder", daily(lambda s: s.reminder), reminders.reminder_job),
    Job("escalation", daily(lambda s: s.escalation), escalation.escalation_job),
    Job("alerts", daily(lambda s: s.alerts_at), alert_jobs.evaluate),  # after the deadline
    Job("campaign_alerts", daily(lambda s: s.alerts_at), campaign_jobs.campaign_alerts),
    Job("alert_escalation", every(15), alert_jobs.escalate),  # unacknowledged critical alerts
    Job("daily_digest", daily(lambda s: s.daily_digest), digest_jobs.daily_digest),
    # With the digest: campaigns whose last day's numbers are in get their summary, once.
    Job("campaign_closing", daily(lambda s: s.daily_digest), campaign_jobs.closing),
    Job("order_summary", daily(lambda s: s.order_summary), order_jobs.morning_summary),
    Job("order_sla", every(15), order_jobs.sla_reminders),  # order deadlines and approvals
    Job("prune_updates", every(30), maintenance.prune_updates),  # processed webhook update ids
    Job("weekly_digest", weekly(lambda s: s.weekly_digest), digest_jobs.weekly_digest),
    Job("weekly_praise", weekly(lambda s: s.weekly_digest), praise_jobs.weekly_praise),
    Job("monthly_digest", monthly(lambda s: s.monthly_digest), digest_jobs.monthly_digest),
)


def job_specs(org: OrgConfig) -> list[JobSpec]:
    """The jobs ``org`` schedules, in the order they fire during a day."""
    return [spec for job in JOBS if (spec := job.schedule(job.name, org)) is not None]


def find_spec(org: OrgConfig, name: str) -> JobSpec | None:
    return next((spec for spec in job_specs(org) if spec.name == name), None)


def default_handlers() -> dict[str, JobHandler]:
    """The handler of every job name."""
    return {job.name: job.handler for job in JOBS}
