"""/kpi dept <code>: a service department's requests — tiles, weekly in/delivered, the open
backlog by age and each assignee's deliveries — in one image."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes

from bot.charts.base import (
    ACTUAL,
    FONT,
    PLAN,
    STATUS_COLOURS,
    add_axes,
    axes_title,
    draw_bars,
    draw_tiles,
    header,
    new_figure,
    style_axes,
    to_png,
)
from bot.charts.service_data import Bar, ServiceChart

MAX_ASSIGNEES = 10


def render_service_chart(data: ServiceChart) -> bytes:
    people = max(1, min(len(data.assignees), MAX_ASSIGNEES))
    weeks_in, backlog_in, people_in = 2.6, 1.9, 0.7 + 0.36 * people
    tiles_in = 1.0 if data.tiles else 0.0
    height_in = 1.2 + tiles_in + weeks_in + backlog_in + people_in + 0.3
    figure = new_figure(height_in)
    header(figure, data.title, data.subtitle)
    top = 1 - 1.1 / height_in
    if data.tiles:
        draw_tiles(figure, data.tiles, top=top, bottom=top - 0.9 / height_in, columns=4)
        top -= tiles_in / height_in
    weeks = add_axes(figure, (0.08, top - (weeks_in - 0.45) / height_in, 0.88, 1.9 / height_in))
    _weeks(weeks, data)
    top -= weeks_in / height_in
    backlog = add_axes(figure, (0.30, top - (backlog_in - 0.35) / height_in, 0.50, 1.3 / height_in))
    _bars(backlog, data.backlog, data.backlog_title, STATUS_COLOURS["warn"])
    top -= backlog_in / height_in
    assignees = add_axes(
        figure, (0.30, 0.3 / height_in, 0.50, top - 0.3 / height_in - 0.45 / height_in)
    )
    _bars(assignees, data.assignees[:MAX_ASSIGNEES], data.assignees_title, ACTUAL)
    return to_png(figure)


def _weeks(axes: Axes, data: ServiceChart) -> None:
    positions = list(range(len(data.weeks)))
    draw_bars(
        axes,
        [p - 0.2 for p in positions],
        [float(v) for v in data.received],
        colours=PLAN,
        thickness=0.38,
        label=data.received_label,
    )
    draw_bars(
        axes,
        [p + 0.2 for p in positions],
        [float(v) for v in data.delivered],
        colours=ACTUAL,
        thickness=0.38,
        label=data.delivered_label,
    )
    style_axes(axes)
    axes.set_xticks(positions, list(data.weeks), fontsize=10)
    axes.set_xlim(-0.6, len(positions) - 0.4)
    top = max([*data.received, *data.delivered, 1])
    axes.set_ylim(0, top * 1.35)  # headroom so the legend above the bars covers none of them
    axes.legend(loc="upper left", fontsize=10.5, frameon=False, ncols=2)
    axes_title(axes, data.weeks_title)


def _bars(axes: Axes, bars: Sequence[Bar], title: str, colour: str) -> None:
    positions = list(range(len(bars)))[::-1]
    values = [bar.value for bar in bars]
    draw_bars(axes, positions, values, colours=colour, thickness=0.6, horizontal=True)
    axes.set_yticks(positions, [bar.label for bar in bars], fontsize=11, family=FONT)
    right = max([*values, 1.0]) * 1.6
    for position, bar in zip(positions, bars, strict=True):
        text = f"{bar.value:g}" + (f"  {bar.note}" if bar.note else "")
        axes.text(bar.value + right * 0.01, position, text, va="center", fontsize=10, family=FONT)
    axes.set_xlim(0, right)
    axes.set_ylim(-0.6, max(len(bars), 1) - 0.4)
    axes.set_xticks([])
    axes.spines[["top", "right", "bottom"]].set_visible(False)
    axes_title(axes, title)
