"""Campaign maths: what counts toward a campaign, progress against its target and against the
time elapsed, cost against budget, ROAS and cost per order. Pure: plain values in and out.

A store value counts when its store is one the campaign covers and its day is within the
campaign's dates (both ends included); outputs tagged to the campaign in a report form count
once each, whatever day or store they carry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from bot.domain import alerts
from bot.domain.alerts import Finding

Status = Literal["coming", "running", "ended"]

# The metrics behind ROAS and cost per order (the org file's usual keys).
REVENUE = "gmv"
COST = "ads_cost"
ORDERS = "orders"


@dataclass(frozen=True)
class CampaignInfo:
    """A campaign as the views and the maths see it."""

    id: int
    code: str
    name: str
    start: date
    end: date
    store_codes: tuple[str, ...]  # every store covered (brands already expanded)
    budget: float | None = None
    targets: Mapping[str, float] = field(default_factory=dict)
    owners: tuple[str, ...] = ()
    source: str = "org"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def status(self, today: date) -> Status:
        if today < self.start:
            return "coming"
        return "running" if today <= self.end else "ended"

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end

    def days_elapsed(self, today: date) -> int:
        """Campaign days up to and including ``today`` (0 before it starts)."""
        return max(0, min(self.days, (today - self.start).days + 1))

    def days_left(self, today: date) -> int:
        """Campaign days after ``today``, the last day with numbers (all of them before the
        start, 0 once over)."""
        if today < self.start:
            return self.days
        return max(0, (self.end - today).days)

    @property
    def main_metric(self) -> str | None:
        """The metric progress is shown on: GMV when it has a target, else the first target."""
        if REVENUE in self.targets:
            return REVENUE
        return next(iter(self.targets), None)

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]


@dataclass(frozen=True)
class StoreValue:
    """One daily value of a store (by code)."""

    store: str
    day: date
    metric: str
    value: float


@dataclass(frozen=True)
class CampaignTotals:
    """What counts toward a campaign, in the part of it the viewer sees."""

    totals: dict[str, float]  # metric -> store values plus tagged outputs
    by_store: dict[str, dict[str, float]]  # store code -> metric -> sum
    by_day: dict[date, dict[str, float]]  # day -> metric -> sum over the stores
    tagged: dict[str, float]  # metric -> tagged department outputs


def campaign_totals(
    campaign: CampaignInfo,
    values: Iterable[StoreValue],
    tagged: Mapping[str, float] | None = None,
    stores: Iterable[str] | None = None,
) -> CampaignTotals:
    """Sum the values on the campaign's days and stores (``stores``: only these of them, e.g.
    a staff member's part), plus the tagged outputs once."""
    covered = set(campaign.store_codes)
    if stores is not None:
        covered &= set(stores)
    totals: dict[str, float] = defaultdict(float)
    by_store: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    by_day: dict[date, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for item in values:
        if item.store not in covered or not campaign.covers(item.day):
            continue
        totals[item.metric] += item.value
        by_store[item.store][item.metric] += item.value
        by_day[item.day][item.metric] += item.value
    for metric, value in (tagged or {}).items():
        totals[metric] += value
    return CampaignTotals(
        dict(totals),
        {code: dict(v) for code, v in by_store.items()},
        {day: dict(v) for day, v in sorted(by_day.items())},
        dict(tagged or {}),
    )


def totals_of_sums(
    by_store: Mapping[str, Mapping[str, float]],
    by_day: Mapping[date, Mapping[str, float]],
    tagged: Mapping[str, float],
) -> CampaignTotals:
    """The same totals from sums already taken over the campaign's days and stores (per store,
    per day), plus the tagged outputs once."""
    totals: dict[str, float] = defaultdict(float)
    for values in by_store.values():
        for metric, value in values.items():
            totals[metric] += value
    for metric, value in tagged.items():
        totals[metric] += value
    return CampaignTotals(
        dict(totals),
        {code: dict(v) for code, v in by_store.items()},
        {day: dict(v) for day, v in sorted(by_day.items())},
        dict(tagged),
    )


@dataclass(frozen=True)
class Progress:
    metric: str
    actual: float
    target: float | None
    share: float | None  # actual / target
    time_share: float  # campaign days elapsed / all its days
    pace: float | None  # share / time_share: 1.0 is on pace


def progress(
    campaign: CampaignInfo, totals: Mapping[str, float], metric: str, today: date
) -> Progress:
    actual = totals.get(metric, 0.0)
    target = campaign.targets.get(metric)
    share = actual / target if target else None
    time_share = campaign.days_elapsed(today) / campaign.days
    pace = share / time_share if share is not None and time_share > 0 else None
    return Progress(metric, actual, target, share, time_share, pace)


@dataclass(frozen=True)
class Spend:
    cost: float | None
    budget: float | None
    share: float | None  # cost / budget
    pace: float | None  # share / time share: above 1.0 burns the budget too fast
    roas: float | None  # revenue / cost
    cost_per_order: float | None


def spend(campaign: CampaignInfo, totals: Mapping[str, float], today: date) -> Spend:
    cost = totals.get(COST)
    revenue, orders = totals.get(REVENUE), totals.get(ORDERS)
    budget = campaign.budget
    share = cost / budget if cost is not None and budget else None
    time_share = campaign.days_elapsed(today) / campaign.days
    pace = share / time_share if share is not None and time_share > 0 else None
    roas = revenue / cost if revenue is not None and cost else None
    per_order = cost / orders if cost is not None and orders else None
    return Spend(cost, budget, share, pace, roas, per_order)


@dataclass(frozen=True)
class CampaignView:
    """A campaign's numbers as one viewer sees them."""

    info: CampaignInfo
    totals: CampaignTotals
    progress: tuple[Progress, ...]  # one per target, the main one first
    spend: Spend
    today: date
    partial: bool  # the viewer sees only part of the campaign's stores
    store_names: dict[str, str]


@dataclass(frozen=True)
class PaceCheck:
    """A campaign pacing rule's finding: behind its target's pace (``target``), or spending its
    budget faster than the time passes (``budget``). The finding's numbers: ``actual``, ``plan``
    (the target or budget spread over the days gone), ``percent`` (actual / plan), ``threshold``,
    ``share`` (of the whole target or budget) and ``time_share`` (of the campaign's days)."""

    kind: Literal["target", "budget"]
    finding: Finding


def pace_check(
    campaign: CampaignInfo,
    totals: Mapping[str, float],
    metric: str,
    threshold_percent: float,
    today: date,
) -> PaceCheck | None:
    """A campaign pacing rule on the numbers up to ``today``: on the cost metric of a campaign
    with a budget, spend above ``threshold_percent`` of the time's pace; on any other metric
    with a target, actual below ``threshold_percent`` of it (both with the alerts' hysteresis).
    None when the rule cannot tell: the campaign is not running, or has no target for it."""
    if campaign.status(today) != "running":
        return None
    time_share = campaign.days_elapsed(today) / campaign.days
    actual = totals.get(metric, 0.0)
    kind: Literal["target", "budget"]
    if metric == COST and campaign.budget:
        kind, whole = "budget", campaign.budget
        found = alerts.above_pace(actual, whole * time_share, threshold_percent)
    else:
        kind, whole = "target", campaign.targets.get(metric, 0.0)
        found = alerts.pacing(actual, whole * time_share, threshold_percent)
    if found is None:
        return None
    numbers = {**found.numbers, "share": actual / whole, "time_share": time_share}
    return PaceCheck(kind, Finding(found.breached, found.cleared, numbers))
