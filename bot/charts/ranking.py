"""Ranked attainment bars (stores or brands) and the store × day heatmap."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure

from bot.charts.base import (
    FONT,
    SMALL_TEXT,
    STATUS_COLOURS,
    add_axes,
    axes_title,
    day_ticks,
    draw_bars,
    draw_tiles,
    header,
    new_figure,
    percent_axis,
    to_png,
)
from bot.charts.data import AttainmentOverview, Heatmap, OverviewChart, RankedItem, Status

_HEAT = LinearSegmentedColormap.from_list(
    "attainment", [STATUS_COLOURS["bad"], STATUS_COLOURS["warn"], STATUS_COLOURS["good"]]
).with_extremes(bad="#eeeeee")
HEAT_LOW, HEAT_HIGH = 0.6, 1.2  # a day under 60% of its target is as red as it gets
MIN_HEAT_COLUMNS = 7


def status_of(attainment: float | None) -> Status:
    if attainment is None:
        return "none"
    return "good" if attainment >= 1.0 else "warn" if attainment >= 0.9 else "bad"


def shown_items(items: Sequence[RankedItem], limit: int) -> tuple[list[RankedItem], int]:
    """Best first; beyond ``limit``, the best and the worst halves and how many were left out."""
    ranked = sorted(items, key=lambda i: (i.attainment is None, -(i.attainment or 0.0)))
    if len(ranked) <= limit:
        return ranked, 0
    head = limit // 2
    return [*ranked[:head], *ranked[-(limit - head) :]], len(ranked) - limit


def draw_ranking(axes: Axes, overview: AttainmentOverview) -> None:
    items, left_out = shown_items(overview.items, overview.limit)
    labels = [item.label for item in items]
    values = [item.attainment or 0.0 for item in items]
    colours = [STATUS_COLOURS[status_of(item.attainment)] for item in items]
    positions = list(range(len(items)))[::-1]  # best at the top
    draw_bars(axes, positions, values, colours=colours, thickness=0.65, horizontal=True)
    axes.set_yticks(positions, labels, fontsize=SMALL_TEXT, family=FONT)
    axes.axvline(1.0, color="#424242", linestyle="--", linewidth=1.2)
    right = max([1.2, *values]) * 1.45
    axes.set_xlim(0, right)
    percent_axis(axes)
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(axis="x", labelsize=SMALL_TEXT)
    for position, item, value in zip(positions, items, values, strict=True):
        # No attainment (no plan yet): the note alone (its GMV), not a dash before it.
        if item.attainment is None:
            text = item.note or "—"
        else:
            text = f"{item.attainment * 100:.0f}%" + (f"  {item.note}" if item.note else "")
        axes.text(
            value + right * 0.01, position, text, va="center", fontsize=SMALL_TEXT, family=FONT
        )
    title = overview.labels.attainment
    if left_out:
        title += "  (" + overview.labels.more.format(count=left_out) + ")"
    axes_title(axes, title)


def draw_heatmap(axes: Axes, heatmap: Heatmap, title: str) -> None:
    cells = np.array(
        [[np.nan if v is None else v for v in row] for row in heatmap.cells], dtype=float
    )
    masked = np.ma.masked_invalid(cells)
    axes.imshow(
        masked, aspect="auto", cmap=_HEAT, vmin=HEAT_LOW, vmax=HEAT_HIGH, interpolation="nearest"
    )
    axes.set_yticks(range(len(heatmap.rows)), heatmap.rows, fontsize=SMALL_TEXT, family=FONT)
    day_ticks(axes, heatmap.days, max_labels=8)
    # A week's width at least: the first day of a month is one column, not a wall of colour.
    axes.set_xlim(-0.5, max(len(heatmap.days), MIN_HEAT_COLUMNS) - 0.5)
    axes.tick_params(axis="x", labelsize=SMALL_TEXT)
    axes_title(axes, title)
    for spine in axes.spines.values():
        spine.set_visible(False)


def render_attainment_overview(data: AttainmentOverview) -> bytes:
    """Stores or brands ranked by month-to-date attainment, for digests and /kpi.

    Input (``bot.charts.data.AttainmentOverview``): ``title``, ``subtitle``, ``items`` (each a
    ``RankedItem(label, attainment as a fraction or None, note)``), ``limit`` bars at most,
    ``locale`` and translated ``labels``. Returns PNG bytes.
    """
    count = min(len(data.items), data.limit) or 1
    figure = new_figure(max(4.0, 1.6 + 0.42 * count))
    header(figure, data.title, data.subtitle)
    height_in = figure.get_size_inches()[1]
    top = 1 - 1.1 / height_in
    axes = add_axes(figure, (0.30, 0.5 / height_in, 0.66, top - 0.5 / height_in - 0.03))
    draw_ranking(axes, data)
    return to_png(figure)


def render_overview_chart(data: OverviewChart) -> bytes:
    """A brand, department or everything: tiles, ranking, then the store × day heatmap."""
    return to_png(overview_figure(data))


def overview_figure(data: OverviewChart) -> Figure:
    figure = new_figure(11.0)
    header(figure, data.overview.title, data.overview.subtitle)
    draw_tiles(figure, data.tiles, top=0.915, bottom=0.835)
    tiles_bottom = 0.835 if data.tiles else 0.93
    ranking_height = 0.40
    ranking = add_axes(figure, (0.30, tiles_bottom - 0.04 - ranking_height, 0.66, ranking_height))
    draw_ranking(ranking, data.overview)
    heat_top = tiles_bottom - ranking_height - 0.11
    heat = add_axes(figure, (0.30, 0.05, 0.66, heat_top - 0.05))
    draw_heatmap(heat, data.heatmap, data.overview.labels.day_vs_plan)
    return figure
