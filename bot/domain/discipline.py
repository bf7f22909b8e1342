"""Report discipline arithmetic: which days count, missing streaks, coverage. Pure, no I/O.

Two calendars meet here. The org calendar (working days, holidays) speaks of *business dates*,
the dates reports are about: a holiday needs no report. A member's day off speaks of the *due
day*, the day they are at work (or not) to send a report: the report of a business date is due
on the next day when reports cover the previous day, on the same day otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

Covers = Literal["previous_day", "same_day"]

STREAK_CAP = 14
# How far back a streak may look for its working days (a long holiday still ends somewhere).
STREAK_LOOKBACK_DAYS = 45


def due_day(business_date: date, covers: Covers) -> date:
    """The day the report of ``business_date`` is sent (and chased)."""
    return business_date + timedelta(days=1) if covers == "previous_day" else business_date


def business_date_due_on(day: date, covers: Covers) -> date:
    """The business date whose report is due on ``day`` (the inverse of ``due_day``)."""
    return day - timedelta(days=1) if covers == "previous_day" else day


def working_days_back(
    business_date: date,
    is_working_day: Callable[[date], bool],
    *,
    count: int = STREAK_CAP,
    lookback_days: int = STREAK_LOOKBACK_DAYS,
) -> list[date]:
    """Up to ``count`` working business dates, ``business_date`` first, newest to oldest."""
    days: list[date] = []
    for offset in range(lookback_days + 1):
        day = business_date - timedelta(days=offset)
        if is_working_day(day):
            days.append(day)
            if len(days) == count:
                break
    return days


def missing_streak(
    days: Sequence[date],
    missing_on: Collection[date],
    excused_on: Collection[date] = (),
    *,
    since: date | None = None,
    cap: int = STREAK_CAP,
) -> int:
    """How many of ``days`` (newest first) in a row were missed, up to ``cap``.

    Excused days (a day off) and days before ``since`` (the member joined) neither count nor
    break the streak; the first reported day ends it.
    """
    streak = 0
    for day in days:
        if day in excused_on:
            continue
        if since is not None and day < since:
            break
        if day not in missing_on:
            break
        streak += 1
        if streak >= cap:
            break
    return streak


@dataclass(frozen=True)
class Coverage:
    """Reported out of expected subjects (stores or people) for one department and date."""

    reported: int
    expected: int

    @property
    def percent(self) -> int:
        """Whole percent, rounded down so that 99.6 % never shows as a complete 100 %."""
        if self.expected == 0:
            return 100
        return self.reported * 100 // self.expected

    def __add__(self, other: Coverage) -> Coverage:
        return Coverage(self.reported + other.reported, self.expected + other.expected)
