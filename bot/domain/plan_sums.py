"""Monthly plans and what they add up to over days: a month's target spread by its day
weights (``plan_days``), summed over the days a KPI question asks about."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache

from bot.domain.periods import Period, month_key
from bot.domain.plan_days import daily_plan


@dataclass(frozen=True)
class MetricPlan:
    target: float
    weights: Mapping[str, float] = field(default_factory=dict)

    @cached_property
    def weights_key(self) -> tuple[tuple[str, float], ...]:
        """The weights as a hashable key for the cache of daily plans."""
        return tuple(sorted((str(k), float(v)) for k, v in self.weights.items()))


Plans = Mapping[str, Mapping[str, MetricPlan]]  # "YYYY-MM" -> metric -> plan


# Bounded: one entry per store, metric and month asked about (500 stores × 12 metrics × a few
# months is tens of thousands), not one per distinct target ever seen by a long-lived process.
PLAN_CACHE_SIZE = 65_536


@lru_cache(maxsize=PLAN_CACHE_SIZE)
def _daily_plan_cached(
    target: float, year: int, month: int, weights: tuple[tuple[str, float], ...]
) -> Mapping[date, float]:
    return daily_plan(target, year, month, dict(weights))


def _plan_of_month(plans: Plans, metric: str, year: int, month: int) -> MetricPlan | None:
    return plans.get(month_key(year, month), {}).get(metric)


def _month_plan(plans: Plans, metric: str, year: int, month: int) -> Mapping[date, float] | None:
    plan = _plan_of_month(plans, metric, year, month)
    if plan is None:
        return None
    return _daily_plan_cached(plan.target, year, month, plan.weights_key)


def plan_of_day(plans: Plans, metric: str, day: date) -> float | None:
    """The weighted daily target of ``metric`` on ``day``; None without a plan that month."""
    month_plan = _month_plan(plans, metric, day.year, day.month)
    return None if month_plan is None else month_plan[day]


@lru_cache(maxsize=PLAN_CACHE_SIZE)
def _running_plan(
    target: float, year: int, month: int, weights: tuple[tuple[str, float], ...]
) -> tuple[float, ...]:
    """The month's plan summed from its first day: entry ``n`` is days 1..n (entry 0 is 0)."""
    month_plan = _daily_plan_cached(target, year, month, weights)
    sums = [0.0]
    for day in sorted(month_plan):
        sums.append(sums[-1] + month_plan[day])
    return tuple(sums)


def plan_over(plans: Plans, metric: str, days: Sequence[date]) -> float | None:
    """The plan summed over ``days`` (sorted, distinct); None when no day has a plan."""
    if not any(metric in month for month in plans.values()):
        return None
    if days and _from_month_start(days):
        # The usual question (a month, or its days so far): one look-up instead of a sum.
        first = days[0]
        plan = _plan_of_month(plans, metric, first.year, first.month)
        if plan is None:
            return None
        return _running_plan(plan.target, first.year, first.month, plan.weights_key)[len(days)]
    total, found = 0.0, False
    month: tuple[int, int] | None = None
    month_plan: Mapping[date, float] | None = None
    for day in days:  # sorted days: look the month's plan up once per month
        if (day.year, day.month) != month:
            month = (day.year, day.month)
            month_plan = _month_plan(plans, metric, *month)
            found = found or month_plan is not None
        if month_plan is not None:
            total += month_plan[day]
    return total if found else None


def _from_month_start(days: Sequence[date]) -> bool:
    """Sorted distinct days that run without a gap from the 1st of one month."""
    first, last = days[0], days[-1]
    return (
        first.day == 1
        and (last.year, last.month) == (first.year, first.month)
        and (last.day == len(days))
    )


def month_target(plans: Plans, metric: str, month: Period) -> float | None:
    plan = _plan_of_month(plans, metric, month.start.year, month.start.month)
    return plan.target if plan is not None else None
