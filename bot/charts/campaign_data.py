"""The plain data of the campaign chart (`/kpi <campaign>`), built by the views and drawn in
the chart worker by ``bot.charts.campaign``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class ProgressBar:
    """One target (or the budget): the share reached, and the label written next to it."""

    label: str
    share: float  # actual / target (or cost / budget)
    text: str
    cost: bool = False  # a budget bar: above the time line is bad, not good


@dataclass(frozen=True)
class CampaignChart:
    title: str
    subtitle: str
    locale: str
    bars: tuple[ProgressBar, ...]
    time_share: float  # campaign days elapsed / all its days
    time_label: str
    days: tuple[date, ...]  # the campaign's days up to today
    daily: tuple[float | None, ...]  # the main metric per day (None: nothing reported)
    daily_target: float | None  # the main target spread evenly over the days
    daily_title: str
    stores: tuple[tuple[str, float], ...]  # store code, main metric
    stores_title: str
    outputs: tuple[tuple[str, float], ...]  # metric label, tagged outputs
    outputs_title: str
    none_label: str  # shown in an empty panel
