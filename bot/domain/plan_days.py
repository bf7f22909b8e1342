"""How a monthly target spreads over the days of its month.

Days weigh 1 unless the plan says otherwise (``{"11": 3.0}``: the 11th weighs three normal days,
as on a double-day campaign). Daily targets and forecasts follow these weights.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date


def month_days(year: int, month: int) -> list[date]:
    return [date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)]


def day_weights(year: int, month: int, weights: Mapping[str, float]) -> dict[date, float]:
    """Each day of the month with its weight (missing days weigh 1)."""
    return {day: float(weights.get(str(day.day), 1.0)) for day in month_days(year, month)}


def daily_plan(
    target: float, year: int, month: int, weights: Mapping[str, float]
) -> dict[date, float]:
    """The monthly ``target`` split over the days in proportion to their weights."""
    per_day = day_weights(year, month, weights)
    total = sum(per_day.values())
    if total <= 0:
        return {day: 0.0 for day in per_day}
    return {day: target * weight / total for day, weight in per_day.items()}


def daily_share(day: date, weights: Mapping[str, float]) -> float:
    """The day's share of its month: equal days unless ``weights`` say otherwise."""
    per_day = day_weights(day.year, day.month, weights)
    total = sum(per_day.values())
    return per_day[day] / total if total > 0 else 0.0
