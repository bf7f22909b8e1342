"""The store chart: KPI tiles, cumulative actual vs plan with the forecast to period end,
and daily bars against daily targets (days without a report marked, not drawn as zero)."""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from bot.charts.base import (
    ACTUAL,
    FORECAST,
    LINE,
    PLAN,
    add_axes,
    axes_title,
    compact_axis,
    day_ticks,
    draw_bars,
    draw_tiles,
    header,
    legend_above,
    lone_marker,
    mark_missing,
    new_figure,
    style_axes,
    to_png,
)
from bot.charts.data import StoreChart


def render_store_chart(data: StoreChart) -> bytes:
    return to_png(store_figure(data))


def store_figure(data: StoreChart) -> Figure:
    figure = new_figure(10.0)
    header(figure, data.title, data.subtitle)
    tiles_bottom = 0.70 if len(data.tiles) > 3 else 0.80
    draw_tiles(figure, data.tiles, top=0.915, bottom=tiles_bottom)
    top = tiles_bottom - 0.05
    _cumulative(add_axes(figure, (0.12, top - 0.30, 0.84, 0.30)), data)
    _daily(add_axes(figure, (0.12, 0.06, 0.84, top - 0.44)), data)
    return figure


def _cumulative(axes: Axes, data: StoreChart) -> None:
    style_axes(axes)
    positions = range(len(data.days))
    actual = [
        (i, v) for i, v in zip(positions, data.cumulative_actual, strict=True) if v is not None
    ]
    plan = [(i, v) for i, v in zip(positions, data.cumulative_plan, strict=True) if v is not None]
    forecast = [(i, v) for i, v in zip(positions, data.forecast, strict=True) if v is not None]
    if plan:
        axes.plot(
            *zip(*plan, strict=True),
            color=PLAN,
            linestyle="--",
            linewidth=LINE,
            label=data.labels.plan,
            **lone_marker(plan),
        )
    if forecast:
        axes.plot(
            *zip(*forecast, strict=True),
            color=FORECAST,
            linestyle=":",
            linewidth=LINE + 0.5,
            label=data.labels.forecast,
            **lone_marker(forecast),
        )
    if actual:
        axes.plot(
            *zip(*actual, strict=True),
            color=ACTUAL,
            linewidth=LINE + 1,
            label=data.labels.actual,
            zorder=3,
            **lone_marker(actual),
        )
    axes_title(axes, f"{data.metric_label} · {data.labels.cumulative}")
    compact_axis(axes, data.locale)
    day_ticks(axes, data.days)
    axes.set_ylim(bottom=0)
    if actual or plan:
        legend_above(axes)


def _present(values: tuple[float | None, ...]) -> list[tuple[int, float]]:
    return [(i, v) for i, v in enumerate(values) if v is not None]


def _daily(axes: Axes, data: StoreChart) -> None:
    style_axes(axes)
    bars = _present(data.daily_actual)
    plan = _present(data.daily_plan)
    if plan:
        axes.step(
            *zip(*plan, strict=True),
            where="mid",
            color=PLAN,
            linestyle="--",
            linewidth=LINE,
            label=data.labels.plan,
            **lone_marker(plan),
        )
    missing = set(data.missing_days)
    gaps = [i for i, day in enumerate(data.days) if day in missing]
    mark_missing(axes, gaps, data.labels.missing)
    if bars:  # added last: listed last in the legend, as Axes.bar's bars were
        draw_bars(
            axes,
            [i for i, _ in bars],
            [v for _, v in bars],
            colours=ACTUAL,
            thickness=0.7,
            label=data.labels.actual,
        )
    axes_title(axes, f"{data.metric_label} · {data.labels.daily}")
    compact_axis(axes, data.locale)
    day_ticks(axes, data.days)
    axes.set_ylim(bottom=0)
    if bars or plan or gaps:
        legend_above(axes)
