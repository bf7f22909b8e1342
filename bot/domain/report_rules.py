"""Checks on report values: ranges, the form's cross-checks, outliers, derived metrics, targets.

Problems carry a ``message_key`` and ``params`` for translation. Params that name a field hold
the metric key (the caller may swap in the label); numbers are already formatted for the locale.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from bot.domain.derived_metrics import compute_derived
from bot.domain.number_format import format_number, format_value
from bot.domain.report_text import FieldSpec
from bot.org.formula import Comparison, Operator
from bot.org.schema import OrgConfig

__all__ = [
    "RuleProblem",
    "attainment",
    "check_cross",
    "check_value",
    "derived_values",
    "outlier",
]

# Message keys; params in brackets.
NOT_FINITE = "not_finite"  # [field]
NOT_INTEGER = "not_integer"  # [field, value]
BELOW_MIN = "below_min"  # [field, value, min]
ABOVE_MAX = "above_max"  # [field, value, max]
CROSS_CHECK = "cross_check"  # [check, left, op, right, left_value, right_value]
RULE_KEYS = (NOT_FINITE, NOT_INTEGER, BELOW_MIN, ABOVE_MAX, CROSS_CHECK)

_OPERATOR_SYMBOLS: dict[Operator, str] = {
    "<=": "≤", "<": "<", ">=": "≥", ">": ">", "==": "=", "!=": "≠",
}  # fmt: skip
MIN_RECENT_VALUES = 3


@dataclass(frozen=True)
class RuleProblem:
    message_key: str
    params: dict[str, str] = dataclass_field(default_factory=dict, hash=False)
    keys: tuple[str, ...] = ()  # the fields involved, so the caller can point at them


def check_value(
    field: FieldSpec,
    value: float,
    metric_min: float | None,
    metric_max: float | None,
    *,
    locale: str = "vi",
) -> RuleProblem | None:
    """The first problem of a single value: not a number, not whole, outside [min, max]."""

    def shown(number: float) -> str:
        return format_value(number, field.unit, locale, integer=field.integer)

    keys = (field.key,)
    if not math.isfinite(value):
        return RuleProblem(NOT_FINITE, {"field": field.key}, keys)
    if field.integer and value != math.floor(value):
        return RuleProblem(NOT_INTEGER, {"field": field.key, "value": shown(value)}, keys)
    if metric_min is not None and value < metric_min:
        params = {"field": field.key, "value": shown(value), "min": shown(metric_min)}
        return RuleProblem(BELOW_MIN, params, keys)
    if metric_max is not None and value > metric_max:
        params = {"field": field.key, "value": shown(value), "max": shown(metric_max)}
        return RuleProblem(ABOVE_MAX, params, keys)
    return None


def check_cross(
    values: Mapping[str, float], comparisons: Iterable[Comparison], *, locale: str = "vi"
) -> list[RuleProblem]:
    """The form's cross-checks that fail; a check applies only once all its fields are given."""
    problems = []
    for comparison in comparisons:
        if not comparison.variables <= values.keys():
            continue
        if comparison.evaluate(values) is not False:
            continue  # passes, or cannot be computed (e.g. a ratio over zero)
        left = comparison.left.evaluate(values)
        right = comparison.right.evaluate(values)
        params = {
            "check": comparison.text,
            "left": comparison.left.text,
            "op": _OPERATOR_SYMBOLS[comparison.op],
            "right": comparison.right.text,
            "left_value": format_number(left, locale) if left is not None else "",
            "right_value": format_number(right, locale) if right is not None else "",
        }
        problems.append(RuleProblem(CROSS_CHECK, params, tuple(sorted(comparison.variables))))
    return problems


def outlier(value: float, recent: Sequence[float], factor: float = 5.0) -> bool:
    """True when ``value`` is far from the trailing values: above ``factor`` x median or below
    median / ``factor``.

    Needs at least three recent values and a positive median; otherwise there is nothing to
    compare with. A zero is unusual only if none of the recent values was zero: a shop that
    sometimes has no cancellations should not be questioned on every such day.
    """
    if factor <= 1:
        raise ValueError(f"factor must be greater than 1, got {factor}")
    history = [v for v in recent if math.isfinite(v)]
    if len(history) < MIN_RECENT_VALUES or not math.isfinite(value):
        return False
    median = statistics.median(history)
    if median <= 0:
        return False
    if value > factor * median:
        return True
    if value == 0:
        return all(v != 0 for v in history)
    return value < median / factor


def derived_values(values: Mapping[str, float], org: OrgConfig) -> dict[str, float]:
    """Derived metrics that can be computed from ``values`` (missing inputs or a division by
    zero leave a metric out)."""
    computed = compute_derived(org.derived_order, values)
    return {key: v for key, v in computed.items() if v is not None}


def attainment(actual: float | None, target: float | None) -> float | None:
    """Actual as a percentage of target (95.0 means 95 %); None without a positive target."""
    if actual is None or target is None:
        return None
    if not (math.isfinite(actual) and math.isfinite(target)) or target <= 0:
        return None
    return actual / target * 100
