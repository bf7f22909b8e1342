"""KPI maths for a set of stores (or people) over a period: pure, no I/O.

What the engine answers, per metric: actual, weighted plan, attainment, gap, pacing, the daily
run rate still needed for the month, the month-end forecast and the change against the previous
period. Rules that keep the numbers honest:

* Ratios (AOV, CR, ROAS...) are derived from SUMS of their inputs, never averaged daily ratios.
* A day without a report is unknown, not zero: pacing compares the actual with the plan of the
  days that *were* reported, and the forecast fills every unreported day (missed or still to
  come) with its plan scaled by that pacing. Coverage says how many days were reported.
* The previous period is compared like for like: its first N days, N being the days elapsed in
  the current one.
* A metric is "reported" on the days its subject sent a report (optional metrics left blank on a
  reported day count as reported; that is the price of reading presence per report, not per
  value).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import Literal

from bot.domain.periods import Period, month_period
from bot.domain.plan_sums import Plans, month_target, plan_of_day, plan_over

Status = Literal["good", "warn", "bad", "none"]
Derive = Callable[[Mapping[str, float]], Mapping[str, float | None]]

# Attainment bands for the traffic-light colours (fractions of plan).
GOOD_AT = 1.0
WARN_AT = 0.9
LOWER_BETTER_WARN_AT = 1.1


@dataclass(frozen=True)
class MetricCatalog:
    """Which metrics add up day by day (base) and which are computed from sums (derived)."""

    base: tuple[str, ...]
    derived: tuple[str, ...]
    derive: Derive

    def is_base(self, key: str) -> bool:
        return key in self.base


@dataclass(frozen=True)
class SubjectFacts:
    """What storage knows about one store (or person) for the question asked."""

    key: str
    label: str
    totals: Mapping[str, float]  # base metric sums over the elapsed part of the period
    previous_totals: Mapping[str, float]  # sums over the comparison window
    month_totals: Mapping[str, float]  # sums over the month of the forecast, to date
    reported_days: frozenset[date]  # days with a report, over the period and that month
    plans: Plans = field(default_factory=dict)


@dataclass(frozen=True)
class KpiQuestion:
    period: Period
    as_of: date  # the latest business date the numbers run to (a report may be in early)
    catalog: MetricCatalog
    due_through: date | None = None  # ``DueRule.last_due``; None: every elapsed day is due

    # Cached: asked once per store and metric when a view covers hundreds of stores.
    @cached_property
    def elapsed(self) -> list[date]:
        return self.period.elapsed_days(self.as_of)

    @cached_property
    def due(self) -> list[date]:
        """Elapsed days whose report is due: the only days that can be missing."""
        if self.due_through is None:
            return self.elapsed
        return [day for day in self.elapsed if day <= self.due_through]

    def counted(self, reported: Collection[date]) -> int:
        """The days a subject is measured on: the due ones, and those reported early."""
        due = self.due
        return len(due) + sum(1 for day in self.elapsed[len(due) :] if day in reported)

    @cached_property
    def forecast_month(self) -> Period:
        anchor = min(self.period.end, self.as_of)
        return month_period(anchor.year, anchor.month)

    @cached_property
    def month_elapsed(self) -> list[date]:
        return self.forecast_month.elapsed_days(self.as_of)


@dataclass(frozen=True)
class MetricKpi:
    key: str
    actual: float | None  # None: nothing reported
    plan: float | None  # weighted plan of the whole period
    plan_to_date: float | None  # plan of the elapsed days
    attainment: float | None  # actual / plan
    gap: float | None  # actual - plan_to_date (negative: behind)
    pacing: float | None  # actual / plan of the reported days
    previous: float | None
    change: float | None  # (actual - previous) / previous
    month_target: float | None = None
    required_daily: float | None = None  # per remaining day of the month to reach its target
    forecast: float | None = None  # month-end forecast


@dataclass(frozen=True)
class SubjectKpi:
    key: str
    label: str
    metrics: Mapping[str, MetricKpi]
    reported: int
    elapsed: int  # days measured: elapsed days that are due, plus those reported early

    @property
    def coverage(self) -> float | None:
        return self.reported / self.elapsed if self.elapsed else None


@dataclass(frozen=True)
class KpiReport:
    question: KpiQuestion
    metrics: Mapping[str, MetricKpi]
    subjects: tuple[SubjectKpi, ...]

    @property
    def has_data(self) -> bool:
        return any(s.reported for s in self.subjects)

    @property
    def coverage(self) -> float | None:
        possible = sum(s.elapsed for s in self.subjects)
        return sum(s.reported for s in self.subjects) / possible if possible else None


@dataclass(frozen=True)
class DayPoint:
    day: date
    actual: float | None  # None: nobody reported that day (or the day is still to come)
    plan: float | None
    reporters: int = 0


@dataclass(frozen=True)
class CumulativePoint:
    day: date
    actual: float | None  # cumulative to this day, None after as_of
    plan: float | None  # cumulative plan
    forecast: float | None  # from as_of to month end


# --- the engine ----------------------------------------------------------------------------------


def comparison_window(period: Period, as_of: date) -> Period | None:
    """The previous period's first N days, N = days elapsed now; None before the period."""
    elapsed = len(period.elapsed_days(as_of))
    if elapsed == 0:
        return None
    previous = period.previous()
    return Period("range", previous.start, previous.start + timedelta(days=elapsed - 1))


def _ratio(part: float | None, whole: float | None) -> float | None:
    if part is None or whole is None or whole == 0:
        return None
    return part / whole


@dataclass
class _Sums:
    """Additive parts of one base metric, summed over subjects."""

    actual: float = 0.0
    has_actual: bool = False
    previous: float = 0.0
    has_previous: bool = False
    plan: float = 0.0
    plan_to_date: float = 0.0
    has_plan: bool = False
    planned_actual: float = 0.0  # actual of the subjects with a plan, for pacing
    plan_reported: float = 0.0
    month_actual: float = 0.0
    month_plan_reported: float = 0.0
    month_plan_unreported: float = 0.0
    month_planned_actual: float = 0.0
    month_target: float = 0.0
    has_month_plan: bool = False

    def add(self, other: _Sums) -> None:
        # Spelled out: this runs once per store and metric, 6,000 times for 500 stores.
        self.actual += other.actual
        self.has_actual = self.has_actual or other.has_actual
        self.previous += other.previous
        self.has_previous = self.has_previous or other.has_previous
        self.plan += other.plan
        self.plan_to_date += other.plan_to_date
        self.has_plan = self.has_plan or other.has_plan
        self.planned_actual += other.planned_actual
        self.plan_reported += other.plan_reported
        self.month_actual += other.month_actual
        self.month_plan_reported += other.month_plan_reported
        self.month_plan_unreported += other.month_plan_unreported
        self.month_planned_actual += other.month_planned_actual
        self.month_target += other.month_target
        self.has_month_plan = self.has_month_plan or other.has_month_plan


@dataclass(frozen=True)
class _Days:
    """A subject's days sorted once for all its metrics."""

    elapsed: list[date]
    reported: list[date]  # elapsed days with a report
    month_reported: list[date]  # days of the forecast month with a report, to as_of
    month_unreported: list[date]  # the rest of that month: missed or still to come

    @classmethod
    def of(cls, facts: SubjectFacts, question: KpiQuestion) -> _Days:
        elapsed = question.elapsed
        month_reported = [d for d in question.month_elapsed if d in facts.reported_days]
        done = set(month_reported)
        return cls(
            elapsed,
            [d for d in elapsed if d in facts.reported_days],
            month_reported,
            [d for d in question.forecast_month.days if d not in done],
        )


def _base_sums(facts: SubjectFacts, metric: str, question: KpiQuestion, days: _Days) -> _Sums:
    period, plans = question.period, facts.plans
    elapsed, reported = days.elapsed, days.reported
    sums = _Sums()
    if metric in facts.totals:
        sums.actual, sums.has_actual = facts.totals[metric], True
    if metric in facts.previous_totals:
        sums.previous, sums.has_previous = facts.previous_totals[metric], True
    full_plan = plan_over(plans, metric, period.days)
    if full_plan is not None:
        sums.has_plan = True
        sums.plan = full_plan
        sums.plan_to_date = plan_over(plans, metric, elapsed) or 0.0
        sums.plan_reported = plan_over(plans, metric, reported) or 0.0
        sums.planned_actual = sums.actual
    month = question.forecast_month
    target = month_target(plans, metric, month)
    sums.month_actual = facts.month_totals.get(metric, 0.0)
    if target is not None:
        sums.has_month_plan = True
        sums.month_target = target
        sums.month_plan_reported = plan_over(plans, metric, days.month_reported) or 0.0
        sums.month_plan_unreported = plan_over(plans, metric, days.month_unreported) or 0.0
        sums.month_planned_actual = sums.month_actual
    return sums


def _base_kpi(metric: str, sums: _Sums, question: KpiQuestion) -> MetricKpi:
    actual = sums.actual if sums.has_actual else None
    plan = sums.plan if sums.has_plan else None
    plan_to_date = sums.plan_to_date if sums.has_plan else None
    previous = sums.previous if sums.has_previous else None
    month_target_value = sums.month_target if sums.has_month_plan else None
    required = forecast = None
    if sums.has_month_plan:
        remaining_days = len(question.forecast_month.days) - len(question.month_elapsed)
        if remaining_days > 0:
            required = max(0.0, sums.month_target - sums.month_actual) / remaining_days
        month_pacing = _ratio(sums.month_planned_actual, sums.month_plan_reported)
        if month_pacing is not None:
            forecast = sums.month_actual + sums.month_plan_unreported * month_pacing
    return MetricKpi(
        key=metric,
        actual=actual,
        plan=plan,
        plan_to_date=plan_to_date,
        attainment=_ratio(actual, plan),
        gap=None if actual is None or plan_to_date is None else actual - plan_to_date,
        pacing=_ratio(sums.planned_actual, sums.plan_reported) if actual is not None else None,
        previous=previous,
        change=None if actual is None else _ratio(actual - (previous or 0.0), previous),
        month_target=month_target_value,
        required_daily=required,
        forecast=forecast,
    )


def _derived_kpis(
    base: Mapping[str, MetricKpi], question: KpiQuestion, explicit_plans: Mapping[str, float]
) -> dict[str, MetricKpi]:
    """Derived metrics from the sums of their inputs (actual, plan and previous alike)."""
    catalog = question.catalog

    def derive(field_name: str) -> Mapping[str, float | None]:
        values = {k: getattr(m, field_name) for k, m in base.items()}
        return catalog.derive({k: v for k, v in values.items() if v is not None})

    actual, plan, previous = derive("actual"), derive("plan"), derive("previous")
    result = {}
    for key in catalog.derived:
        value = actual.get(key)
        planned = plan.get(key)
        if planned is None:
            planned = explicit_plans.get(key)
        before = previous.get(key)
        result[key] = MetricKpi(
            key=key,
            actual=value,
            plan=planned,
            plan_to_date=planned,
            attainment=_ratio(value, planned),
            gap=None if value is None or planned is None else value - planned,
            pacing=None,
            previous=before,
            change=None if value is None else _ratio(value - (before or 0.0), before),
        )
    return result


def _explicit_derived_plans(facts: SubjectFacts, question: KpiQuestion) -> dict[str, float]:
    """Targets typed directly for derived metrics (an AOV goal), for the period's month."""
    month = question.forecast_month
    return {
        key: target
        for key in question.catalog.derived
        if (target := month_target(facts.plans, key, month)) is not None
    }


def _subject_kpi(facts: SubjectFacts, question: KpiQuestion) -> tuple[SubjectKpi, dict[str, _Sums]]:
    days = _Days.of(facts, question)
    sums = {m: _base_sums(facts, m, question, days) for m in question.catalog.base}
    base = {m: _base_kpi(m, s, question) for m, s in sums.items()}
    metrics = {**base, **_derived_kpis(base, question, _explicit_derived_plans(facts, question))}
    counted = question.counted(facts.reported_days)
    return SubjectKpi(facts.key, facts.label, metrics, len(days.reported), counted), sums


def evaluate(subjects: Sequence[SubjectFacts], question: KpiQuestion) -> KpiReport:
    """KPIs of every subject and of the whole set (sums first, ratios from the sums)."""
    subject_kpis = []
    total: dict[str, _Sums] = {m: _Sums() for m in question.catalog.base}
    for facts in subjects:
        kpi, sums = _subject_kpi(facts, question)
        subject_kpis.append(kpi)
        for metric, part in sums.items():
            total[metric].add(part)
    base = {m: _base_kpi(m, s, question) for m, s in total.items()}
    explicit = (
        _explicit_derived_plans(subjects[0], question) if len(subjects) == 1 else {}
    )  # a ratio target of one store says nothing about another's
    metrics = {**base, **_derived_kpis(base, question, explicit)}
    return KpiReport(question, metrics, tuple(subject_kpis))


# --- series for charts ---------------------------------------------------------------------------


def daily_points(
    question: KpiQuestion,
    metric: str,
    daily_totals: Mapping[date, Mapping[str, float]],
    reporters: Mapping[date, int],
    plans: Sequence[Plans],
) -> list[DayPoint]:
    """One point per day of the period: summed actual (None when nobody reported) and plan."""
    points = []
    for day in question.period.days:
        count = reporters.get(day, 0)
        value = daily_totals.get(day, {}).get(metric) if count else None
        day_plans = [p for p in (plan_of_day(pl, metric, day) for pl in plans) if p is not None]
        points.append(DayPoint(day, value, sum(day_plans) if day_plans else None, count))
    return points


def cumulative_points(
    points: Sequence[DayPoint], as_of: date, forecast: float | None
) -> list[CumulativePoint]:
    """Running totals of actual and plan; the forecast line runs from as_of to the last day,
    following the plan's shape, and ends at ``forecast``."""
    result = []
    actual_total = plan_total = 0.0
    has_plan = any(p.plan is not None for p in points)
    for point in points:
        plan_total += point.plan or 0.0
        if point.day <= as_of:
            actual_total += point.actual or 0.0
        result.append(
            CumulativePoint(
                point.day,
                actual_total if point.day <= as_of else None,
                plan_total if has_plan else None,
                None,
            )
        )
    return _with_forecast(result, as_of, forecast)


def _with_forecast(
    points: list[CumulativePoint], as_of: date, forecast: float | None
) -> list[CumulativePoint]:
    future = [i for i, p in enumerate(points) if p.day > as_of]
    past = [i for i, p in enumerate(points) if p.day <= as_of]
    if forecast is None or not future or not past:
        return points
    start = points[past[-1]].actual or 0.0
    start_plan = points[past[-1]].plan or 0.0
    end_plan = points[-1].plan or 0.0
    span = end_plan - start_plan
    out = list(points)
    out[past[-1]] = _replace_forecast(points[past[-1]], start)
    for index in future:
        plan_now = points[index].plan or 0.0
        share = (plan_now - start_plan) / span if span > 0 else (index - past[-1]) / len(future)
        out[index] = _replace_forecast(points[index], start + (forecast - start) * share)
    return out


def _replace_forecast(point: CumulativePoint, value: float) -> CumulativePoint:
    return CumulativePoint(point.day, point.actual, point.plan, value)


def attainment_status(attainment: float | None, *, lower_is_better: bool = False) -> Status:
    """ "good" / "warn" / "bad" / "none" for the tile colours."""
    if attainment is None:
        return "none"
    if lower_is_better:
        if attainment <= GOOD_AT:
            return "good"
        return "warn" if attainment <= LOWER_BETTER_WARN_AT else "bad"
    if attainment >= GOOD_AT:
        return "good"
    return "warn" if attainment >= WARN_AT else "bad"
