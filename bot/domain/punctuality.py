"""Was a daily report on time? The deadline of a business date and each day's verdict."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Verdict = Literal["on_time", "late", "missing"]


def report_deadline(business_date: date, deadline: time, covers: str, tz: ZoneInfo) -> datetime:
    """When the report of ``business_date`` is due: the next morning for ``previous_day``
    reports, the same day for ``same_day`` ones (an aware datetime in ``tz``)."""
    due_day = business_date + timedelta(days=1) if covers == "previous_day" else business_date
    return datetime.combine(due_day, deadline, tzinfo=tz)


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
    deadline: time,
    covers: str,
    tz: ZoneInfo,
) -> Punctuality:
    """The verdict of each due day: sent before its deadline, after it, or not at all.

    ``first_sent`` is the earliest report ``created_at`` per business date (several stores:
    the latest of their first sendings, as the day is complete only when all are in).
    """
    verdicts: list[tuple[date, Verdict]] = []
    for day in days:
        sent = first_sent.get(day)
        if sent is None:
            verdicts.append((day, "missing"))
        elif sent <= report_deadline(day, deadline, covers, tz):
            verdicts.append((day, "on_time"))
        else:
            verdicts.append((day, "late"))
    return Punctuality(tuple(verdicts))
