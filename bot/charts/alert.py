"""A small chart for an alert: one store's breached metric, recent days against target."""

from __future__ import annotations

from matplotlib.figure import Figure

from bot.charts.base import (
    ACTUAL,
    LINE,
    PLAN,
    STATUS_COLOURS,
    add_axes,
    axes_title,
    compact_axis,
    day_ticks,
    draw_bars,
    header,
    legend_above,
    lone_marker,
    mark_missing,
    new_figure,
    style_axes,
    to_png,
)
from bot.charts.data import AlertChart


def render_alert_chart(data: AlertChart) -> bytes:
    """Recent daily values of the breached metric against its target.

    Input (``bot.charts.data.AlertChart``): ``title`` and ``subtitle`` (already translated),
    ``metric_label``, ``days`` (e.g. the last 14 business dates), ``values`` per day (None: not
    reported, drawn as a grey cross), ``targets`` per day (None: no target that day), the
    ``breached`` days (bars drawn red), ``locale`` for the ``12,5tr`` axis. Returns PNG bytes.
    """
    return to_png(alert_figure(data))


def alert_figure(data: AlertChart) -> Figure:
    figure = new_figure(5.0)
    header(figure, data.title, data.subtitle)
    axes = add_axes(figure, (0.12, 0.12, 0.84, 0.62))
    style_axes(axes)
    breached = set(data.breached)
    bars = [(i, v) for i, v in enumerate(data.values) if v is not None]
    targets = [(i, v) for i, v in enumerate(data.targets) if v is not None]
    if targets:
        axes.step(
            *zip(*targets, strict=True),
            where="mid",
            color=PLAN,
            linestyle="--",
            linewidth=LINE,
            label=data.labels.plan,
            **lone_marker(targets),
        )
    gaps = [i for i, v in enumerate(data.values) if v is None]
    mark_missing(axes, gaps, data.labels.missing)
    if bars:  # added last: listed last in the legend, as Axes.bar's bars were
        colours = [STATUS_COLOURS["bad"] if data.days[i] in breached else ACTUAL for i, _ in bars]
        draw_bars(
            axes,
            [i for i, _ in bars],
            [v for _, v in bars],
            colours=colours,
            thickness=0.7,
            label=data.labels.actual,
        )
    axes_title(axes, data.metric_label)
    compact_axis(axes, data.locale)
    day_ticks(axes, data.days, max_labels=7)
    axes.set_ylim(bottom=0)
    if bars or targets or gaps:
        legend_above(axes)
    return figure
