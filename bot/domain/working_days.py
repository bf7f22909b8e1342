"""Which days staff report on: the org's working weekdays, less its holidays."""

from __future__ import annotations

from datetime import date

from bot.org.fields import WEEKDAYS
from bot.org.sections import ReportSettings


def is_working_day(report: ReportSettings, day: date) -> bool:
    return WEEKDAYS[day.weekday()] in report.working_days and day not in report.holidays
