"""KPI breach rules and alert states: pure decisions, no I/O.

Each rule type turns the numbers of one store into a ``Finding``: breached or not, and the
numbers behind the verdict (shown in the alert). A finding also says whether the value is
*clearly* back on track: between "breached" and "cleared" lies a small band (``HYSTERESIS``) in
which an open alert stays as it is, so a value wobbling around the threshold does not flap.

``transition`` moves an alert state on a new finding and says whether anyone is told:

* no alert + breached -> ``open``, notify "opened";
* open / acknowledged + breached -> unchanged, nothing sent (never the same breach twice);
* snoozed + breached -> unchanged until ``snoozed_until``, then ``open`` again and notified;
* open / acknowledged / snoozed + cleared -> ``resolved``, notify "resolved" ("back on track");
* resolved + breached -> ``open`` again (a correction made it worse), notified.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Literal

# Relative margin a value must recover past the threshold before an open alert resolves.
HYSTERESIS = 0.02
# An anomaly needs at least this many earlier values to compare with.
MIN_BASELINE_VALUES = 3
LEVELS: tuple[str, ...] = ("owners", "manager", "bod")


@dataclass(frozen=True)
class Finding:
    """A rule's verdict on one store: ``numbers`` hold the figures the message shows."""

    breached: bool
    cleared: bool
    numbers: Mapping[str, float] = field(default_factory=dict)


def _finding(breached: bool, cleared: bool, **numbers: float) -> Finding:
    return Finding(breached, cleared and not breached, numbers)


def pacing(actual: float, plan_to_date: float | None, threshold_percent: float) -> Finding | None:
    """Month-to-date ``actual`` below ``threshold_percent`` % of the plan of the same days.

    None when there is no plan to compare with.
    """
    if plan_to_date is None or plan_to_date <= 0:
        return None
    percent = actual / plan_to_date * 100
    return _finding(
        percent < threshold_percent,
        percent >= threshold_percent * (1 + HYSTERESIS),
        actual=actual,
        plan=plan_to_date,
        percent=percent,
        threshold=threshold_percent,
    )


def above_pace(
    actual: float, plan_to_date: float | None, threshold_percent: float
) -> Finding | None:
    """To-date ``actual`` above ``threshold_percent`` % of what was planned for the same days
    (a budget spent faster than the time passes). None when there is no plan to compare with.
    """
    if plan_to_date is None or plan_to_date <= 0:
        return None
    percent = actual / plan_to_date * 100
    return _finding(
        percent > threshold_percent,
        percent <= threshold_percent * (1 - HYSTERESIS),
        actual=actual,
        plan=plan_to_date,
        percent=percent,
        threshold=threshold_percent,
    )


def daily(
    value: float | None, threshold: float, direction: Literal["below", "above"]
) -> Finding | None:
    """A day's value below (or above) ``threshold``; None when the day has no value."""
    if value is None:
        return None
    margin = abs(threshold) * HYSTERESIS
    if direction == "below":
        breached, cleared = value < threshold, value >= threshold + margin
    else:
        breached, cleared = value > threshold, value <= threshold - margin
    return _finding(breached, cleared, value=value, threshold=threshold)


def ratio_band(value: float | None, low: float | None, high: float | None) -> Finding | None:
    """A ratio (computed from sums, never averaged) outside [low, high]."""
    if value is None:
        return None
    numbers: dict[str, float] = {"value": value}
    breached = cleared_low = cleared_high = False
    if low is not None:
        numbers["low"] = low
        breached = value < low
        cleared_low = value >= low + abs(low) * HYSTERESIS
    else:
        cleared_low = True
    if high is not None:
        numbers["high"] = high
        breached = breached or value > high
        cleared_high = value <= high - abs(high) * HYSTERESIS
    else:
        cleared_high = True
    return _finding(breached, cleared_low and cleared_high, **numbers)


def baseline_days(
    day: date, window_days: int, kind: Literal["last_days", "same_weekday"]
) -> list[date]:
    """The earlier days a value is compared with: the last ``window_days`` days, or the days
    of the same weekday within them."""
    days = [day - timedelta(days=offset) for offset in range(1, window_days + 1)]
    if kind == "same_weekday":
        days = [d for d in days if d.weekday() == day.weekday()]
    return sorted(days)


def anomaly(value: float | None, history: Sequence[float], drop_percent: float) -> Finding | None:
    """A drop of more than ``drop_percent`` % against the median of ``history``.

    None without a value, with too little history, or when the baseline is not positive.
    """
    if value is None or len(history) < MIN_BASELINE_VALUES:
        return None
    median = statistics.median(history)
    if median <= 0:
        return None
    drop = (median - value) / median * 100
    return _finding(
        drop > drop_percent,
        drop <= drop_percent - 100 * HYSTERESIS,
        value=value,
        median=median,
        drop=drop,
        threshold=drop_percent,
    )


def missing_data(days_checked: Sequence[date], days_with_data: set[date]) -> Finding | None:
    """No value on any of ``days_checked`` (the last N working days, the newest last)."""
    if not days_checked:
        return None
    missing = [d for d in days_checked if d not in days_with_data]
    breached = len(missing) == len(days_checked)
    return _finding(breached, not breached, days=float(len(missing)))


# --- states -------------------------------------------------------------------------------------


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    SNOOZED = "snoozed"
    RESOLVED = "resolved"


Notice = Literal["opened", "resolved"]
ACTIVE = frozenset({AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.SNOOZED})


@dataclass(frozen=True)
class Transition:
    state: AlertStatus | None  # None: there is no alert and none is needed
    notice: Notice | None = None

    @property
    def changed(self) -> bool:
        return self.notice is not None


def transition(
    current: AlertStatus | None,
    finding: Finding | None,
    now: datetime,
    snoozed_until: datetime | None = None,
) -> Transition:
    """The next state of an alert given a new ``finding`` (None: the rule cannot tell)."""
    if finding is None:
        return Transition(current)
    if current is None:
        return Transition(AlertStatus.OPEN, "opened") if finding.breached else Transition(None)
    if current is AlertStatus.RESOLVED:
        return Transition(AlertStatus.OPEN, "opened") if finding.breached else Transition(current)
    if finding.cleared:
        return Transition(AlertStatus.RESOLVED, "resolved")
    if (
        current is AlertStatus.SNOOZED
        and finding.breached
        and (snoozed_until is None or now >= snoozed_until)
    ):
        return Transition(AlertStatus.OPEN, "opened")
    return Transition(current)


# --- escalation ---------------------------------------------------------------------------------


def escalation_chain(recipients: Sequence[str]) -> tuple[str, ...]:
    """The levels above the rule's own recipients, in order (owners -> manager -> bod)."""
    highest = max((LEVELS.index(r) for r in recipients if r in LEVELS), default=-1)
    return LEVELS[highest + 1 :]


def escalation_due(
    *,
    severity: str,
    state: AlertStatus,
    recipients: Sequence[str],
    escalate_after_minutes: int | None,
    level: int,
    since: datetime,
    now: datetime,
) -> str | None:
    """The level to escalate an alert to now, or None.

    Only critical, still open (not acknowledged, not snoozed) alerts escalate, one level per
    ``escalate_after_minutes`` counted from ``since`` (when it opened or last escalated).
    """
    if severity != "critical" or state is not AlertStatus.OPEN or escalate_after_minutes is None:
        return None
    chain = escalation_chain(recipients)
    if level >= len(chain):
        return None
    if now - since < timedelta(minutes=escalate_after_minutes):
        return None
    return chain[level]


def sums_of(days: Mapping[date, Mapping[str, float]]) -> dict[str, float]:
    """Base metric sums over several days (ratios are then derived from these sums)."""
    totals: dict[str, float] = {}
    for values in days.values():
        for key, value in values.items():
            totals[key] = totals.get(key, 0.0) + value
    return totals
