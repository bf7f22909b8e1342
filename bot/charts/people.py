"""/dept for person forms: each person's output (videos, live sessions, bookings…) per metric,
against their target when there is one and the team's average otherwise."""

from __future__ import annotations

import math

from matplotlib.axes import Axes

from bot.charts.base import (
    ACTUAL,
    FONT,
    MISSING,
    PLAN,
    SMALL_TEXT,
    add_axes,
    axes_title,
    compact_axis,
    draw_bars,
    header,
    new_figure,
    to_png,
)
from bot.charts.data import OutputPanel, PeopleChart

MAX_PEOPLE = 15


def render_people_chart(data: PeopleChart) -> bytes:
    panels = data.panels[:3] or (OutputPanel("—", ()),)
    rows = max(1, max(min(len(p.people), MAX_PEOPLE) for p in panels))
    panel_height = 0.9 + 0.38 * rows
    height_in = 1.3 + panel_height * len(panels)
    figure = new_figure(height_in)
    header(figure, data.title, data.subtitle)
    top = 1 - 1.15 / height_in
    share = (top - 0.04) / len(panels)
    for index, panel in enumerate(panels):
        bottom = top - (index + 1) * share + 0.45 / height_in
        axes = add_axes(figure, (0.30, bottom, 0.62, share - 0.75 / height_in))
        _panel(axes, panel, data)
    return to_png(figure)


def _panel(axes: Axes, panel: OutputPanel, data: PeopleChart) -> None:
    people = sorted(panel.people, key=lambda p: -(p.value or 0.0))[:MAX_PEOPLE]
    positions = list(range(len(people)))[::-1]
    values = [p.value or 0.0 for p in people]
    colours = [ACTUAL if p.value is not None else MISSING for p in people]
    draw_bars(axes, positions, values, colours=colours, thickness=0.6, horizontal=True)
    axes.set_yticks(positions, [p.name for p in people], fontsize=SMALL_TEXT, family=FONT)
    reported = [p.value for p in people if p.value is not None]
    right = max([*values, *(p.target or 0.0 for p in people), 1.0]) * 1.3
    # Every target mark in one line, broken by NaN: one artist instead of one per person.
    marks = [(p.target, y) for p, y in zip(people, positions, strict=True) if p.target is not None]
    if marks:
        xs = [x for target, _ in marks for x in (target, target, math.nan)]
        ys = [y for _, at in marks for y in (at - 0.4, at + 0.4, math.nan)]
        axes.plot(xs, ys, color=PLAN, linewidth=3)
    for position, person in zip(positions, people, strict=True):
        text = "—" if person.value is None else _number(person.value, data.locale)
        if person.note:
            text += f"  {person.note}"
        axes.text(
            (person.value or 0.0) + right * 0.01,
            position,
            text,
            va="center",
            fontsize=SMALL_TEXT,
            family=FONT,
        )
    if reported and not any(p.target is not None for p in people):
        average = sum(reported) / len(reported)
        axes.axvline(average, color=PLAN, linestyle="--", linewidth=1.5)
    axes.set_xlim(0, right)
    compact_axis(axes, data.locale, axis="x")
    axes.spines[["top", "right"]].set_visible(False)
    axes_title(axes, panel.metric_label)


def _number(value: float, locale: str) -> str:
    from bot.domain.number_format import format_compact

    return format_compact(value, locale)
