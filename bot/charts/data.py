"""Inputs of the chart functions: plain frozen dataclasses, already translated and formatted
where text is involved. Importing this module does not import matplotlib (handlers and jobs
build these on the event loop; only the rendering thread pays for matplotlib).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Status = Literal["good", "warn", "bad", "none"]
Verdict = Literal["on_time", "late", "missing"]


@dataclass(frozen=True)
class ChartLabels:
    """Legend and axis words in the viewer's language."""

    actual: str = "Thực tế"
    plan: str = "Kế hoạch"
    forecast: str = "Dự báo"
    missing: str = "Thiếu báo cáo"
    cumulative: str = "Lũy kế"
    daily: str = "Theo ngày"
    attainment: str = "Đạt kế hoạch"
    day_vs_plan: str = "Từng ngày so với kế hoạch ngày"
    on_time: str = "Đúng hạn"
    late: str = "Trễ hạn"
    more: str = "… còn {count} mục khác"


@dataclass(frozen=True)
class Tile:
    """One KPI box: ``value`` big, ``detail`` small, coloured by ``status``."""

    label: str
    value: str
    detail: str = ""
    status: Status = "none"


@dataclass(frozen=True)
class StoreChart:
    """A store (or any single subject set) over a period.

    Every sequence runs over ``days``; ``None`` means "no report that day" in the actual series
    (drawn as missing, not as zero), "no plan" in the plan series, and "not forecast" in
    ``forecast`` (which is set only from the last reported day to the end of the period).
    """

    title: str
    subtitle: str
    metric_label: str
    days: tuple[date, ...]
    daily_actual: tuple[float | None, ...]
    daily_plan: tuple[float | None, ...]
    cumulative_actual: tuple[float | None, ...]
    cumulative_plan: tuple[float | None, ...]
    forecast: tuple[float | None, ...]
    tiles: tuple[Tile, ...] = ()
    missing_days: tuple[date, ...] = ()  # elapsed days with no report at all
    locale: str = "vi"
    labels: ChartLabels = field(default_factory=ChartLabels)


@dataclass(frozen=True)
class RankedItem:
    """A store or brand with its attainment as a fraction (1.0 = on plan); None: no plan/data.

    ``note`` is printed after the bar (e.g. "245tr · 18/20 ngày")."""

    label: str
    attainment: float | None
    note: str = ""


@dataclass(frozen=True)
class AttainmentOverview:
    """Stores or brands ranked by month-to-date attainment (best first); at most ``limit``
    bars are drawn, the best and the worst halves, with the number left out said in a line."""

    title: str
    subtitle: str
    items: tuple[RankedItem, ...]
    limit: int = 14
    locale: str = "vi"
    labels: ChartLabels = field(default_factory=ChartLabels)


@dataclass(frozen=True)
class Heatmap:
    """Rows (stores) × ``days``; a cell is the day's value over its daily target (1.0 = on
    plan), None when the store did not report that day."""

    rows: tuple[str, ...]
    days: tuple[date, ...]
    cells: tuple[tuple[float | None, ...], ...]


@dataclass(frozen=True)
class OverviewChart:
    """A brand, a department or everything: ranking plus a store × day heatmap."""

    overview: AttainmentOverview
    heatmap: Heatmap
    tiles: tuple[Tile, ...] = ()


@dataclass(frozen=True)
class AlertChart:
    """One store's breached metric: recent daily ``values`` (None: not reported) against
    ``targets`` (per day, or None where there is no target), the breached ``days`` marked."""

    title: str
    subtitle: str
    metric_label: str
    days: tuple[date, ...]
    values: tuple[float | None, ...]
    targets: tuple[float | None, ...]
    breached: tuple[date, ...] = ()
    locale: str = "vi"
    labels: ChartLabels = field(default_factory=ChartLabels)


@dataclass(frozen=True)
class PersonOutput:
    name: str
    value: float | None  # None: no report in the period
    target: float | None = None
    note: str = ""


@dataclass(frozen=True)
class OutputPanel:
    """One metric of a person form (videos, live sessions, bookings…), one bar per person."""

    metric_label: str
    people: tuple[PersonOutput, ...]


@dataclass(frozen=True)
class PeopleChart:
    title: str
    subtitle: str
    panels: tuple[OutputPanel, ...]
    locale: str = "vi"
    labels: ChartLabels = field(default_factory=ChartLabels)


@dataclass(frozen=True)
class MeChart:
    """A member's own stores (ranked) or own output, and their report punctuality per day."""

    title: str
    subtitle: str
    stores: tuple[RankedItem, ...]
    punctuality: tuple[tuple[date, Verdict], ...]
    tiles: tuple[Tile, ...] = ()
    locale: str = "vi"
    labels: ChartLabels = field(default_factory=ChartLabels)


@dataclass(frozen=True)
class ChannelTableCell:
    """One brand on one channel: formatted texts and the attainment's status colour."""

    gmv: str
    attainment: str
    roas: str
    status: Status = "none"


@dataclass(frozen=True)
class ChannelTable:
    """Brands (rows) × channels (columns); ``cells[row][column]`` is None where the brand has
    no store on that channel."""

    title: str
    subtitle: str
    brands: tuple[str, ...]
    channels: tuple[str, ...]
    cells: tuple[tuple[ChannelTableCell | None, ...], ...]
    legend: str = ""  # what the three lines of a cell are
    locale: str = "vi"
