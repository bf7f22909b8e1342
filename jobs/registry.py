"""When jobs fire and which period each run belongs to (the jobs themselves: ``jobs.table``).

Everything here is pure: the schedule comes from the org file (``schedules``), every trigger is a
``CronTrigger`` in the org timezone, and the period key of a run ("2026-11-21", "2026-W47",
"2026-11") is what ``job_runs`` makes unique per job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from typing import Literal

from apscheduler.triggers.cron import CronTrigger

from bot.org.fields import WEEKDAYS, MonthlyTime, WeeklyTime
from bot.org.schema import OrgConfig
from bot.org.sections import Schedules

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


Schedule = Callable[[str, OrgConfig], JobSpec | None]
"""When a job fires, read from the org file: its spec, or None if the org does not schedule it."""


def daily(pick: Callable[[Schedules], time | None]) -> Schedule:
    """Once a day at the time ``pick`` reads from the org's schedules (None: not scheduled)."""

    def spec(name: str, org: OrgConfig) -> JobSpec | None:
        at = pick(org.schedules)
        if at is None:
            return None
        return JobSpec(name, CronTrigger(hour=at.hour, minute=at.minute, timezone=org.tz), "daily")

    return spec


def every(minutes: int) -> Schedule:
    """Every ``minutes`` on the clock, whatever the org file says (see ``every_minutes``)."""
    _check_divides_the_hour(minutes)
    return lambda name, org: every_minutes(name, minutes, org.tz)


def weekly(pick: Callable[[Schedules], WeeklyTime]) -> Schedule:
    def spec(name: str, org: OrgConfig) -> JobSpec:
        weekday, at = pick(org.schedules)
        trigger = CronTrigger(
            day_of_week=WEEKDAYS[weekday], hour=at.hour, minute=at.minute, timezone=org.tz
        )
        return JobSpec(name, trigger, "weekly")

    return spec


def monthly(pick: Callable[[Schedules], MonthlyTime]) -> Schedule:
    def spec(name: str, org: OrgConfig) -> JobSpec:
        day, at = pick(org.schedules)
        trigger = CronTrigger(day=day, hour=at.hour, minute=at.minute, timezone=org.tz)
        return JobSpec(name, trigger, "monthly")

    return spec


def _check_divides_the_hour(minutes: int) -> None:
    if minutes <= 0 or 60 % minutes:
        raise ValueError(f"minutes must divide 60, got {minutes}")


def every_minutes(name: str, minutes: int, tz: tzinfo) -> JobSpec:
    """A job that fires every ``minutes`` (a divisor of 60) on the clock: :00, :15, :30…

    Its period is the slot it fires for, ``2026-11-21T10:15``, so each slot runs once.
    """
    _check_divides_the_hour(minutes)
    return JobSpec(name, CronTrigger(minute=f"*/{minutes}", timezone=tz), "interval")


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
