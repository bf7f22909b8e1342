"""Was a daily report on time? When a business date's report falls due, and each day's verdict.

One rule decides whether a business date counts for punctuality, missing days and streaks:
``DueRule.is_due`` — its report is due once the org deadline of its due day has passed. Before
that instant nobody is late or missing: at 05:00 yesterday's report (due at 10:30) counts only
if it is already in (and then it is on time for good).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.domain.discipline import Covers, business_date_due_on, due_day
from bot.org.schema import OrgConfig

Verdict = Literal["on_time", "late", "missing"]


def report_deadline(business_date: date, deadline: time, covers: Covers, tz: ZoneInfo) -> datetime:
    """When the report of ``business_date`` is due: the next morning for ``previous_day``
    reports, the same day for ``same_day`` ones (an aware datetime in ``tz``)."""
    return datetime.combine(due_day(business_date, covers), deadline, tzinfo=tz)


@dataclass(frozen=True)
class DueRule:
    """The org's deadline, what a report covers and the org timezone: when reports fall due."""

    deadline: time
    covers: Covers
    tz: ZoneInfo

    @classmethod
    def of(cls, org: OrgConfig) -> DueRule:
        return cls(org.report.deadline, org.report.covers, org.tz)

    def deadline_of(self, business_date: date) -> datetime:
        return report_deadline(business_date, self.deadline, self.covers, self.tz)

    def is_due(self, business_date: date, at: datetime) -> bool:
        """Has the deadline of ``business_date``'s report passed at the instant ``at``?"""
        if at.tzinfo is None:
            raise ValueError("an instant must be timezone-aware")
        return at >= self.deadline_of(business_date)

    def last_due(self, at: datetime) -> date:
        """The latest business date whose report is due at ``at``: at 05:00 the day before
        yesterday for morning reports of the previous day, from 10:30 on yesterday."""
        newest = business_date_due_on(at.astimezone(self.tz).date(), self.covers)
        # The one before is always due: its deadline fell on an earlier local day.
        return newest if self.is_due(newest, at) else newest - timedelta(days=1)

    def due_days(self, days: Iterable[date], at: datetime) -> list[date]:
        """``days`` whose report is due at ``at``, in their order."""
        return [day for day in days if self.is_due(day, at)]


@dataclass(frozen=True)
class Punctuality:
    days: tuple[tuple[date, Verdict], ...]

    def count(self, verdict: Verdict) -> int:
        return sum(1 for _, v in self.days if v == verdict)

    @property
    def on_time_rate(self) -> float | None:
        return self.count("on_time") / len(self.days) if self.days else None


def punctuality(
    days: Sequence[date],
    first_sent: Mapping[date, datetime],
    rule: DueRule,
    at: datetime,
) -> Punctuality:
    """The verdict of each of ``days`` measured at ``at``: sent before its deadline, after it,
    or not at all. A day is measured once its report is due, or once it is in (sent early, it
    is on time for good); a day not due and not sent is left out, never missing.

    ``first_sent`` is the earliest report ``created_at`` per business date (several stores:
    the latest of their first sendings, as the day is complete only when all are in).
    """
    verdicts: list[tuple[date, Verdict]] = []
    for day in days:
        sent = first_sent.get(day)
        if sent is None:
            if rule.is_due(day, at):
                verdicts.append((day, "missing"))
        elif sent <= rule.deadline_of(day):
            verdicts.append((day, "on_time"))
        else:
            verdicts.append((day, "late"))
    return Punctuality(tuple(verdicts))
