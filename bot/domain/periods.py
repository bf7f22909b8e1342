"""Reporting periods: a day, an ISO week, a month or a custom range of business dates.

A period knows the one before it of the same length (the comparison baseline) and how far it
has elapsed on a given "as of" date (the last day whose report is due).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, cached_property
from typing import Literal

PeriodKind = Literal["day", "week", "month", "range"]
_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    start: date
    end: date  # inclusive

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")

    @cached_property
    def days(self) -> tuple[date, ...]:
        # Cached: the KPI engine walks the same period's days for every store and metric.
        return tuple(self.start + timedelta(days=i) for i in range(self.length))

    @property
    def length(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        """``2026-11``, ``2026-W47``, ``2026-11-20`` or ``2026-11-01..2026-11-10``."""
        if self.kind == "month":
            return f"{self.start.year:04d}-{self.start.month:02d}"
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year:04d}-W{week:02d}"
        if self.kind == "day":
            return self.start.isoformat()
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    def previous(self) -> Period:
        """The period just before, of the same length (the previous month for a month)."""
        if self.kind == "month":
            last = self.start - timedelta(days=1)
            return month_period(last.year, last.month)
        return Period(
            self.kind, self.start - timedelta(days=self.length), self.start - timedelta(1)
        )

    def elapsed_days(self, as_of: date) -> list[date]:
        """Days of the period up to and including ``as_of``."""
        return [day for day in self.days if day <= as_of]

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def month_period(year: int, month: int) -> Period:
    last = calendar.monthrange(year, month)[1]
    return Period("month", date(year, month, 1), date(year, month, last))


def week_period(day: date) -> Period:
    monday = day - timedelta(days=day.weekday())
    return Period("week", monday, monday + timedelta(days=6))


def day_period(day: date) -> Period:
    return Period("day", day, day)


def months_touched(start: date, end: date) -> list[tuple[int, int]]:
    """(year, month) of every month overlapping [start, end], in order."""
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


@cache  # asked once per store, metric and month by the KPI engine: 30,000 times for 500 stores
def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def parse_period(text: str | None, as_of: date) -> Period | None:
    """``week`` / ``tuan`` / ``month`` / ``thang`` / ``YYYY-MM`` / none (this month) -> Period.

    ``as_of`` is the latest reported business date: "this week/month" are the ones containing
    it. None when the text is not a period.
    """
    word = (text or "").strip().lower()
    if word in ("", "month", "thang", "tháng"):
        return month_period(as_of.year, as_of.month)
    if word in ("week", "tuan", "tuần"):
        return week_period(as_of)
    match = _MONTH_RE.match(word)
    if match is None:
        return None
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        return None
    return month_period(year, month)
