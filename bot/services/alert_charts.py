"""The small chart of an alert message: the store's most severe breached metric, last 14 days.

The chart is an extra: any failure is logged and the alert goes out as text. Only its data is
read here, in the transaction that opens the alert; the sender draws it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.charts.data import AlertChart, ChartLabels
from bot.domain.periods import month_key
from bot.domain.plan_days import daily_plan
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.org.sections import DerivedMetric
from bot.services.alert_facts import rule_inputs, value_of
from bot.views import alerts as texts
from storage.models import AlertState, Store
from storage.repositories import kpi

log = logging.getLogger(__name__)
CHART_DAYS = 14


def chart_labels(t: Translator) -> ChartLabels:
    return ChartLabels(
        actual=t("alert.chart.actual"),
        plan=t("alert.chart.target"),
        missing=t("alert.chart.missing"),
    )


async def _series(
    session: AsyncSession, org: OrgConfig, store: Store, metric: str, days: Sequence[date]
) -> dict[date, float]:
    key = kpi.store_key(store.id)
    inputs = sorted(rule_inputs(org, metric))
    per_day: dict[date, dict[str, float]] = {}
    for name in inputs:
        values = await kpi.subject_daily_values(session, [key], name, days[0], days[-1])
        for day, value in values.get(key, {}).items():
            per_day.setdefault(day, {})[name] = value
    if not isinstance(org.metric(metric), DerivedMetric):
        return {d: v[metric] for d, v in per_day.items() if metric in v}
    return {d: x for d, v in per_day.items() if (x := value_of(org, metric, v)) is not None}


async def _targets(
    session: AsyncSession, org: OrgConfig, store: Store, state: AlertState, days: Sequence[date]
) -> list[float | None]:
    detail: dict[str, Any] = dict(state.detail or {})
    numbers: dict[str, float] = dict(detail.get("numbers") or {})
    line = next((numbers[k] for k in ("threshold", "high", "low", "median") if k in numbers), None)
    if detail.get("type") in ("daily", "ratio_band", "anomaly"):
        return [line if detail.get("type") != "anomaly" else numbers.get("median")] * len(days)
    metric = detail.get("metric")
    months = {month_key(d.year, d.month) for d in days}
    plans = await kpi.plans_for(session, [store.id], months, [metric] if metric else None)
    targets: list[float | None] = []
    for day in days:
        plan = plans.get(store.id, {}).get(month_key(day.year, day.month), {}).get(metric or "")
        targets.append(daily_plan(plan[0], day.year, day.month, plan[1])[day] if plan else None)
    return targets


async def alert_chart_data(
    session: AsyncSession,
    org: OrgConfig,
    store: Store,
    states: Sequence[AlertState],
    day: date,
    t: Translator,
) -> AlertChart | None:
    """The chart input of the store's most severe breach, or None (no metric, or its data
    could not be read). It is drawn when the alert is sent (``chart_photo_payload``)."""
    lead = next((s for s in texts.by_severity(states) if (s.detail or {}).get("metric")), None)
    if lead is None:
        return None
    metric = str((lead.detail or {})["metric"])
    try:
        days = [day - timedelta(days=offset) for offset in range(CHART_DAYS - 1, -1, -1)]
        values = await _series(session, org, store, metric, days)
        breached = [day] if (lead.detail or {}).get("type") != "missing_data" else []
        if (lead.detail or {}).get("type") == "missing_data":
            breached = [d for d in days if d not in values and d >= date.fromisoformat(lead.period)]
        found = org.metric(metric)
        label = found.label.get(t.locale) if found else metric
        data = AlertChart(
            title=f"{store.code} · {label}",
            subtitle=t("alert.chart.subtitle", day=texts.day_text(day)),
            metric_label=label,
            days=tuple(days),
            values=tuple(values.get(d) for d in days),
            targets=tuple(await _targets(session, org, store, lead, days)),
            breached=tuple(breached),
            locale=t.locale,
            labels=chart_labels(t),
        )
        return data
    except Exception:
        log.exception(
            "alert chart failed store=%s metric=%s; the text goes alone", store.code, metric
        )
        return None
