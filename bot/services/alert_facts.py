"""The numbers every alert rule needs for a set of stores and a business date, and the findings.

Reads go through the KPI repository (one query per kind of number for all stores); the maths is
``bot.domain.alerts``. A rule applies to a store when the store's form asks for every input of
the rule's metric.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import alerts as rules
from bot.domain.alerts import Finding
from bot.domain.derived_metrics import compute_derived
from bot.domain.periods import month_key
from bot.domain.plan_days import daily_plan
from bot.domain.working_days import is_working_day
from bot.org.schema import OrgConfig
from bot.org.sections import (
    AlertRule,
    AnomalyRule,
    DailyRule,
    DerivedMetric,
    MissingDataRule,
    PacingRule,
    RatioBandRule,
)
from storage.models import Store
from storage.repositories import kpi

# How far back the data is read (and a gap of missing reports followed, over days off).
MISSING_LOOKBACK_DAYS = 62


@dataclass(frozen=True)
class Evaluated:
    """A rule's finding for one store and the period its alert state belongs to."""

    rule: AlertRule
    store: Store
    period: str
    finding: Finding | None
    day: date
    extra: Mapping[str, object] = field(default_factory=dict)


def rule_inputs(org: OrgConfig, metric_key: str | None) -> frozenset[str]:
    """The base metrics a rule's metric is computed from (itself when it is a base metric)."""
    if metric_key is None:
        return frozenset()
    metric = org.metric(metric_key)
    if isinstance(metric, DerivedMetric):
        inputs: set[str] = set()
        for name in metric.formula.variables:
            inputs |= rule_inputs(org, name)
        return frozenset(inputs)
    return frozenset({metric_key})


def applies(org: OrgConfig, rule: AlertRule, store: Store) -> bool:
    if getattr(rule, "campaign", None) is not None:  # a campaign's rule: campaign_alerts.py
        return False
    config = org.store(store.code)
    form = org.form_for_department(config.department) if config else None
    if form is None or form.per != "store":
        return False
    return rule_inputs(org, rule.metric) <= set(form.metric_keys)


def value_of(org: OrgConfig, key: str, base: Mapping[str, float]) -> float | None:
    """A metric from base values; derived metrics are computed from those (sums in, ratio out)."""
    if isinstance(org.metric(key), DerivedMetric):
        return compute_derived(org.derived_order, base).get(key)  # None when an input is missing
    return base.get(key)


@dataclass
class Facts:
    """What storage knows about the stores around ``day``."""

    day: date
    day_values: dict[str, dict[str, float]]  # subject -> metric -> value on ``day``
    month_values: dict[str, dict[str, float]]  # subject -> metric -> sum month start..day
    series: dict[str, dict[str, dict[date, float]]]  # metric -> subject -> day -> value
    reported: dict[str, set[date]]  # subject -> days with a report
    plans: dict[int, dict[str, dict[str, tuple[float, dict[str, float]]]]]


async def load_facts(
    session: AsyncSession,
    org: OrgConfig,
    stores: Sequence[Store],
    day: date,
    rule_list: Iterable[AlertRule],
) -> Facts:
    keys = [kpi.store_key(s.id) for s in stores]
    month_start = day.replace(day=1)
    start = day - timedelta(days=MISSING_LOOKBACK_DAYS)
    series_metrics: set[str] = set()
    for rule in rule_list:
        if isinstance(rule, AnomalyRule) and rule.metric:
            start = min(start, day - timedelta(days=rule.window_days))
            series_metrics.add(rule.metric)
        if isinstance(rule, MissingDataRule) and rule.metric:
            series_metrics.add(rule.metric)
    series = {
        metric: await kpi.subject_daily_values(session, keys, metric, start, day)
        for metric in sorted(series_metrics)
        if not isinstance(org.metric(metric), DerivedMetric)
    }
    return Facts(
        day=day,
        day_values=await kpi.metric_totals(session, keys, day, day),
        month_values=await kpi.metric_totals(session, keys, month_start, day),
        series=series,
        reported=await kpi.reported_days(session, keys, start, day),
        plans=await kpi.plans_for(
            session, [s.id for s in stores], [month_key(day.year, day.month)]
        ),
    )


def _pacing(org: OrgConfig, rule: PacingRule, store: Store, facts: Facts) -> Finding | None:
    if isinstance(org.metric(rule.metric), DerivedMetric):
        return None
    day = facts.day
    plan = facts.plans.get(store.id, {}).get(month_key(day.year, day.month), {}).get(rule.metric)
    if plan is None:
        return None
    key = kpi.store_key(store.id)
    per_day = daily_plan(plan[0], day.year, day.month, plan[1])
    # Like the KPI views: compare with the plan of the days that were reported.
    reported = [d for d in facts.reported.get(key, set()) if d.month == day.month and d <= day]
    if not reported:
        return None
    plan_to_date = sum(per_day[d] for d in reported)
    actual = facts.month_values.get(key, {}).get(rule.metric, 0.0)
    return rules.pacing(actual, plan_to_date, rule.threshold)


def _anomaly(org: OrgConfig, rule: AnomalyRule, store: Store, facts: Facts) -> Finding | None:
    values = facts.series.get(rule.metric, {}).get(kpi.store_key(store.id), {})
    history = [
        values[d]
        for d in rules.baseline_days(facts.day, rule.window_days, rule.baseline)
        if d in values
    ]
    return rules.anomaly(values.get(facts.day), history, rule.drop)


def missing_gap(
    org: OrgConfig, present: set[date], day: date, limit: int
) -> tuple[list[date], bool]:
    """The working days without data ending at ``day`` (oldest first), at most ``limit`` of
    them, and whether the walk stopped at that limit (the gap may be longer)."""
    gap: list[date] = []
    for offset in range(MISSING_LOOKBACK_DAYS):
        current = day - timedelta(days=offset)
        if not is_working_day(org.report, current):
            continue
        if current in present:
            return sorted(gap), False
        gap.append(current)
        if len(gap) >= limit:
            return sorted(gap), True
    return sorted(gap), True


def _missing(
    org: OrgConfig, rule: MissingDataRule, store: Store, facts: Facts
) -> tuple[str, Finding | None, bool]:
    key = kpi.store_key(store.id)
    if rule.metric is None or isinstance(org.metric(rule.metric), DerivedMetric):
        present = facts.reported.get(key, set())
    else:
        present = set(facts.series.get(rule.metric, {}).get(key, {}))
    gap, capped = missing_gap(org, present, facts.day, rule.days)
    breached = len(gap) >= rule.days
    period = gap[0].isoformat() if breached else facts.day.isoformat()
    finding = rules.Finding(breached, not breached, {"days": float(len(gap))})
    return period, finding, capped


def evaluate_rule(org: OrgConfig, rule: AlertRule, store: Store, facts: Facts) -> Evaluated:
    day = facts.day
    base = facts.day_values.get(kpi.store_key(store.id), {})
    finding: Finding | None
    period = day.isoformat()
    extra: dict[str, object] = {}
    if isinstance(rule, PacingRule):
        period = month_key(day.year, day.month)
        finding = _pacing(org, rule, store, facts)
    elif isinstance(rule, DailyRule):
        finding = rules.daily(value_of(org, rule.metric, base), rule.threshold, rule.direction)
    elif isinstance(rule, RatioBandRule):
        finding = rules.ratio_band(value_of(org, rule.metric, base), rule.low, rule.high)
    elif isinstance(rule, AnomalyRule):
        finding = _anomaly(org, rule, store, facts)
        extra["window_days"] = rule.window_days
    else:
        period, finding, capped = _missing(org, rule, store, facts)
        extra["capped"] = capped
    return Evaluated(rule, store, period, finding, day, extra)
