"""The KPI engine: sums first, ratios from sums, missing days unknown (not zero), forecasts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.kpi import (
    DayPoint,
    KpiQuestion,
    MetricCatalog,
    SubjectFacts,
    _Sums,
    attainment_status,
    comparison_window,
    cumulative_points,
    daily_points,
    evaluate,
)
from bot.domain.periods import Period, month_period, week_period
from bot.domain.plan_sums import MetricPlan, plan_of_day


def derive(values: Mapping[str, float]) -> dict[str, float | None]:
    gmv, orders = values.get("gmv"), values.get("orders")
    return {"aov": gmv / orders if gmv is not None and orders else None}


CATALOG = MetricCatalog(base=("gmv", "orders"), derived=("aov",), derive=derive)
NOV = month_period(2026, 11)
AS_OF = date(2026, 11, 20)


def facts(
    key: str,
    days: dict[date, dict[str, float]],
    plans: dict[str, dict[str, MetricPlan]] | None = None,
    *,
    previous: dict[str, float] | None = None,
) -> SubjectFacts:
    totals: dict[str, float] = {}
    for values in days.values():
        for metric, value in values.items():
            totals[metric] = totals.get(metric, 0.0) + value
    return SubjectFacts(key, key, totals, previous or {}, totals, frozenset(days), plans or {})


def nov_days(values: dict[str, float], skip: set[int] = frozenset()) -> dict[date, dict]:
    return {date(2026, 11, d): dict(values) for d in range(1, 21) if d not in skip}


def test_store_month_with_missing_days() -> None:
    store = facts(
        "store:1",
        nov_days({"gmv": 10e6, "orders": 50}, skip={7, 13}),
        {"2026-11": {"gmv": MetricPlan(600e6)}},
        previous={"gmv": 150e6},
    )
    report = evaluate([store], KpiQuestion(NOV, AS_OF, CATALOG))
    gmv = report.metrics["gmv"]
    assert gmv.actual == pytest.approx(180e6)
    assert gmv.plan == pytest.approx(600e6)
    assert gmv.attainment == pytest.approx(0.30)
    assert gmv.plan_to_date == pytest.approx(400e6)
    assert gmv.gap == pytest.approx(-220e6)
    assert gmv.pacing == pytest.approx(0.5)  # against the 18 reported days only
    assert gmv.forecast == pytest.approx(180e6 + 12 * 20e6 * 0.5)
    assert gmv.required_daily == pytest.approx((600e6 - 180e6) / 10)
    assert gmv.change == pytest.approx(180e6 / 150e6 - 1)
    assert report.subjects[0].reported == 18 and report.subjects[0].elapsed == 20
    assert report.coverage == pytest.approx(0.9)


def test_ratios_come_from_sums_not_from_averaged_daily_ratios() -> None:
    days = {
        date(2026, 11, 1): {"gmv": 1_000_000.0, "orders": 1.0},  # AOV 1tr
        date(2026, 11, 2): {"gmv": 9_000_000.0, "orders": 99.0},  # AOV ~91k
    }
    report = evaluate([facts("store:1", days)], KpiQuestion(NOV, date(2026, 11, 2), CATALOG))
    assert report.metrics["aov"].actual == pytest.approx(100_000)  # 10tr / 100, not ~545k


def test_set_aov_is_sum_over_sum_across_stores() -> None:
    one = facts("store:1", {date(2026, 11, 1): {"gmv": 1e6, "orders": 1}})
    two = facts("store:2", {date(2026, 11, 1): {"gmv": 9e6, "orders": 99}})
    report = evaluate([one, two], KpiQuestion(NOV, date(2026, 11, 1), CATALOG))
    assert report.metrics["aov"].actual == pytest.approx(1e5)
    assert report.subjects[0].metrics["aov"].actual == pytest.approx(1e6)


def test_nothing_reported_is_none_not_zero() -> None:
    store = facts("store:1", {}, {"2026-11": {"gmv": MetricPlan(300e6)}})
    report = evaluate([store], KpiQuestion(NOV, AS_OF, CATALOG))
    gmv = report.metrics["gmv"]
    assert gmv.actual is None and gmv.attainment is None and gmv.pacing is None
    assert gmv.forecast is None  # no pacing to scale the rest of the month with
    assert not report.has_data


def test_day_weights_shape_the_plan_and_the_forecast() -> None:
    weights = {"11": 3.0}  # 11.11 weighs three days: 32 weights in November
    plans = {"2026-11": {"gmv": MetricPlan(320e6, weights)}}
    assert plan_of_day(plans, "gmv", date(2026, 11, 11)) == pytest.approx(30e6)
    assert plan_of_day(plans, "gmv", date(2026, 11, 12)) == pytest.approx(10e6)
    # Reported 1-10 exactly on plan: the forecast is the plan.
    store = facts("store:1", {date(2026, 11, d): {"gmv": 10e6} for d in range(1, 11)}, plans)
    report = evaluate([store], KpiQuestion(NOV, date(2026, 11, 10), CATALOG))
    assert report.metrics["gmv"].pacing == pytest.approx(1.0)
    assert report.metrics["gmv"].forecast == pytest.approx(320e6)


def test_week_uses_its_own_days_and_the_month_for_the_forecast() -> None:
    week = week_period(AS_OF)  # Mon 16 - Sun 22
    store = facts("store:1", nov_days({"gmv": 10e6}), {"2026-11": {"gmv": MetricPlan(300e6)}})
    in_week = {d: v for d, v in nov_days({"gmv": 10e6}).items() if week.contains(d)}
    week_facts = SubjectFacts(
        "store:1",
        "S",
        {"gmv": 10e6 * len(in_week)},
        {},
        store.totals,
        store.reported_days,
        store.plans,
    )
    report = evaluate([week_facts], KpiQuestion(week, AS_OF, CATALOG))
    gmv = report.metrics["gmv"]
    assert gmv.actual == pytest.approx(50e6)
    assert gmv.plan == pytest.approx(70e6)  # 7 days x 10tr
    assert gmv.forecast == pytest.approx(300e6)  # month pacing 100%


def test_comparison_window_is_like_for_like() -> None:
    window = comparison_window(NOV, AS_OF)
    assert window is not None
    assert (window.start, window.end) == (date(2026, 10, 1), date(2026, 10, 20))
    assert comparison_window(month_period(2026, 12), AS_OF) is None


def test_series_keep_missing_days_missing() -> None:
    question = KpiQuestion(NOV, AS_OF, CATALOG)
    daily = {date(2026, 11, 1): {"gmv": 5e6}, date(2026, 11, 3): {"gmv": 7e6}}
    reporters = {date(2026, 11, 1): 1, date(2026, 11, 3): 1}
    points = daily_points(
        question, "gmv", daily, reporters, [{"2026-11": {"gmv": MetricPlan(30e6)}}]
    )
    assert points[1].actual is None and points[1].plan == pytest.approx(1e6)
    cumulative = cumulative_points(points, AS_OF, forecast=40e6)
    assert cumulative[2].actual == pytest.approx(12e6)
    assert cumulative[20].actual is None  # 21/11 is after as_of
    assert cumulative[-1].forecast == pytest.approx(40e6)
    assert cumulative[19].forecast == pytest.approx(12e6)  # the forecast starts at the actual


def test_status_colours() -> None:
    assert attainment_status(1.02) == "good"
    assert attainment_status(0.95) == "warn"
    assert attainment_status(0.5) == "bad"
    assert attainment_status(None) == "none"
    assert attainment_status(1.2, lower_is_better=True) == "bad"
    assert attainment_status(0.8, lower_is_better=True) == "good"


day_values = st.dictionaries(
    st.integers(min_value=1, max_value=20),
    st.tuples(
        st.floats(min_value=0, max_value=1e9, allow_nan=False),
        st.integers(min_value=1, max_value=10_000),
    ),
    max_size=20,
)


@settings(max_examples=60, deadline=None)
@given(stores=st.lists(day_values, min_size=1, max_size=4), target=st.floats(1e6, 1e10))
def test_set_totals_are_sums_of_store_totals(stores: list, target: float) -> None:
    subjects = [
        facts(
            f"store:{i}",
            {date(2026, 11, d): {"gmv": g, "orders": float(o)} for d, (g, o) in days.items()},
            {"2026-11": {"gmv": MetricPlan(target)}},
        )
        for i, days in enumerate(stores)
    ]
    report = evaluate(subjects, KpiQuestion(NOV, AS_OF, CATALOG))
    reported = [
        s.metrics["gmv"].actual for s in report.subjects if s.metrics["gmv"].actual is not None
    ]
    gmv = report.metrics["gmv"]
    if not reported:
        assert gmv.actual is None
        return
    assert gmv.actual == pytest.approx(sum(reported))
    assert gmv.plan == pytest.approx(target * len(stores))
    total_orders = sum(o for days in stores for _, o in days.values())
    assert report.metrics["aov"].actual == pytest.approx(sum(reported) / total_orders)
    # The forecast is never below what is already sold.
    if gmv.forecast is not None:
        assert gmv.forecast >= gmv.actual - 1e-6 * max(1.0, gmv.actual)


@settings(max_examples=60, deadline=None)
@given(
    target=st.floats(1, 1e10),
    weights=st.dictionaries(st.integers(1, 30).map(str), st.floats(0.1, 10), max_size=5),
)
def test_daily_plans_add_up_to_the_month_target(target: float, weights: dict) -> None:
    plans = {"2026-11": {"gmv": MetricPlan(target, weights)}}
    total = sum(plan_of_day(plans, "gmv", d) or 0.0 for d in NOV.days)
    assert total == pytest.approx(target)


@settings(max_examples=40, deadline=None)
@given(start=st.dates(date(2020, 1, 1), date(2030, 1, 1)), length=st.integers(1, 60))
def test_previous_period_has_the_same_length_and_ends_before(start: date, length: int) -> None:
    period = Period("range", start, start + timedelta(days=length - 1))
    previous = period.previous()
    assert previous.length == period.length
    assert previous.end == period.start - timedelta(days=1)


def test_day_point_defaults() -> None:
    assert DayPoint(AS_OF, None, None).reporters == 0


def test_sums_add_every_field() -> None:
    """A field added to _Sums but forgotten in add() would silently drop out of set totals."""
    numbers = [f.name for f in fields(_Sums) if f.type in ("float", float)]
    flags = [f.name for f in fields(_Sums) if f.type in ("bool", bool)]
    assert len(numbers) + len(flags) == len(fields(_Sums))
    left, right = _Sums(), _Sums()
    for index, name in enumerate(numbers, start=1):
        setattr(left, name, float(index))
        setattr(right, name, 100.0 * index)
    for name in flags:
        setattr(right, name, True)
    left.add(right)
    assert {n: getattr(left, n) for n in numbers} == {
        n: 101.0 * i for i, n in enumerate(numbers, start=1)
    }
    assert all(getattr(left, name) is True for name in flags)
