"""Day weights of a plan month: the org file's campaign days and paydays, then the plan file.

Only weights other than 1 are kept (``{"11": 3.0}``), the form ``bot.domain.plan_days`` reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.domain.months import YearMonth
from bot.domain.plan_rows import WeightRow
from bot.org.sections import PlanSettings


def org_day_weights(settings: PlanSettings, month: YearMonth) -> dict[str, float]:
    """Paydays first, then campaign days (a campaign day replaces a payday weight)."""
    weights: dict[int, float] = {}
    for payday in settings.paydays:
        weights[min(payday.day, month.days)] = payday.weight
    yearly = f"-{month.month:02d}-"
    for campaign in sorted(settings.campaign_days, key=lambda c: len(c.date)):
        # "MM-DD" every year first, so that a dated "YYYY-MM-DD" entry wins over it.
        text = campaign.date if len(campaign.date) > 5 else f"{month.year:04d}-{campaign.date}"
        if text.startswith(f"{month.year:04d}{yearly}"):
            weights[int(text[-2:])] = campaign.weight
    return compact({str(day): weight for day, weight in weights.items()})


def override(base: Mapping[str, float], changes: Iterable[tuple[int, float]]) -> dict[str, float]:
    """``base`` with the given (day, weight) pairs replacing its days (weight 1 removes one)."""
    merged = dict(base)
    for day, weight in changes:
        merged[str(day)] = weight
    return compact(merged)


def compact(weights: Mapping[str, float]) -> dict[str, float]:
    """Weights other than 1, days in calendar order."""
    return {
        day: float(weight)
        for day, weight in sorted(weights.items(), key=lambda item: int(item[0]))
        if float(weight) != 1.0
    }


def effective_weights(
    base: Mapping[str, float],
    store: str,
    month: YearMonth,
    rows: Iterable[WeightRow],
) -> dict[str, float]:
    """``base`` (the org file's weights for ``month``) overridden by a plan file's weight rows:
    rows for every store first, then the rows naming ``store``; days past the month are ignored.
    """
    matching = [r for r in rows if r.month in (None, month) and r.day <= month.days]
    general = [(r.day, r.weight) for r in matching if r.store is None]
    specific = [(r.day, r.weight) for r in matching if r.store == store]
    return override(override(base, general), specific)
