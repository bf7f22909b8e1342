"""Which scheduled jobs exist, when they fire and which period each run belongs to.

Everything here is pure: the schedule comes from the org file (``schedules``), every trigger is a
``CronTrigger`` in the org timezone, and the period key of a run ("2026-11-21", "2026-W47",
"2026-11") is what ``job_runs`` makes unique per job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from typing import Literal

from apscheduler.triggers.cron import CronTrigger

from bot.org.schema import WEEKDAYS, OrgConfig

Cadence = Literal["interval", "daily", "weekly", "monthly"]

# How far back to look for the most recent fire time: more than one period of each cadence.
_LOOKBACK: dict[Cadence, timedelta] = {
    "interval": timedelta(hours=2),
    "daily": timedelta(days=2),
    "weekly": timedelta(days=8),
    "monthly": timedelta(days=32),
}


@dataclass(frozen=True)
class JobSpec:
    """A scheduled job: its name (also the scheduler job id) and its trigger."""

    name: str
    trigger: CronTrigger
    cadence: Cadence

    @property
    def timezone(self) -> tzinfo:
        zone: tzinfo = self.trigger.timezone
        return zone


def _daily(name: str, at: time, tz: tzinfo) -> JobSpec:
    return JobSpec(name, CronTrigger(hour=at.hour, minute=at.minute, timezone=tz), "daily")


def every_minutes(name: str, minutes: int, tz: tzinfo) -> JobSpec:
    """A job that fires every ``minutes`` (a divisor of 60) on the clock: :00, :15, :30…

    Its period is the slot it fires for, ``2026-11-21T10:15``, so each slot runs once.
    """
    if minutes <= 0 or 60 % minutes:
        raise ValueError(f"minutes must divide 60, got {minutes}")
    return JobSpec(name, CronTrigger(minute=f"*/{minutes}", timezone=tz), "interval")


def job_specs(org: OrgConfig) -> list[JobSpec]:
    """The jobs of ``org`` in the order they fire during a day (nudge only when configured)."""
    schedules, tz = org.schedules, org.tz
    specs: list[JobSpec] = []
    if schedules.nudge is not None:
        specs.append(_daily("nudge", schedules.nudge, tz))
    specs.append(_daily("reminder", schedules.reminder, tz))
    specs.append(_daily("escalation", schedules.escalation, tz))
    specs.append(_daily("alerts", schedules.alerts_at, tz))  # KPI rules, after the deadline
    specs.append(every_minutes("alert_escalation", 15, tz))  # unacknowledged critical alerts
    specs.append(_daily("daily_digest", schedules.daily_digest, tz))
    specs.append(_daily("order_summary", schedules.order_summary, tz))
    specs.append(every_minutes("order_sla", 15, tz))  # order deadlines and approvals (SLA)
    weekly = schedules.weekly_digest
    specs.append(
        JobSpec(
            "weekly_digest",
            CronTrigger(
                day_of_week=WEEKDAYS[weekly.weekday],
                hour=weekly.at.hour,
                minute=weekly.at.minute,
                timezone=tz,
            ),
            "weekly",
        )
    )
    monthly = schedules.monthly_digest
    specs.append(
        JobSpec(
            "monthly_digest",
            CronTrigger(
                day=monthly.day, hour=monthly.at.hour, minute=monthly.at.minute, timezone=tz
            ),
            "monthly",
        )
    )
    return specs


def find_spec(org: OrgConfig, name: str) -> JobSpec | None:
    return next((spec for spec in job_specs(org) if spec.name == name), None)


def period_for(spec: JobSpec, fire_time_local: datetime) -> str:
    """The period key of a run at ``fire_time_local``.

    An aware datetime is first converted to the job's timezone; a naive one is taken as local.
    Interval jobs: ``2026-11-21T10:15``; daily: ``2026-11-21``; weekly: ISO week ``2026-W47``;
    monthly: ``2026-11``.
    """
    local = (
        fire_time_local.astimezone(spec.timezone)
        if fire_time_local.tzinfo is not None
        else fire_time_local
    )
    if spec.cadence == "interval":
        return local.strftime("%Y-%m-%dT%H:%M")
    if spec.cadence == "daily":
        return local.date().isoformat()
    if spec.cadence == "weekly":
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{local.year}-{local.month:02d}"


def next_fire_time(spec: JobSpec, now: datetime) -> datetime | None:
    """The first fire time at or after ``now`` (in the job's timezone)."""
    fire: datetime | None = spec.trigger.get_next_fire_time(None, now)
    return fire


def previous_fire_time(spec: JobSpec, now: datetime) -> datetime | None:
    """The most recent fire time at or before ``now`` (in the job's timezone)."""
    latest: datetime | None = None
    fire = spec.trigger.get_next_fire_time(None, now - _LOOKBACK[spec.cadence])
    while fire is not None and fire <= now:
        latest = fire
        fire = spec.trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return latest
