"""What the org file says about a form's metrics: which must be answered, and which metric a
name typed in a free-text report means."""

from __future__ import annotations

from bot.org.schema import OrgConfig
from bot.org.sections import BaseMetric, Form, normalize_alias


def is_required(org: OrgConfig, form: Form, key: str) -> bool:
    """Whether ``key`` must be answered in ``form`` (the form may override the metric)."""
    for item in form.metrics:
        if item.key == key:
            if item.required is not None:
                return item.required
            metric = org.metric(key)
            return metric.required if isinstance(metric, BaseMetric) else False
    return False


def alias_index(org: OrgConfig) -> dict[str, str]:
    """Normalised alias (and key) -> base metric key, for reading free-text reports."""
    index: dict[str, str] = {}
    for metric in org.base_metrics:
        for alias in (metric.key, *metric.aliases):
            index.setdefault(normalize_alias(alias), metric.key)
    return index


def metric_for_alias(org: OrgConfig, text: str) -> BaseMetric | None:
    key = alias_index(org).get(normalize_alias(text))
    metric = org.metric(key) if key else None
    return metric if isinstance(metric, BaseMetric) else None
