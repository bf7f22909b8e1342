"""`/kpi <campaign>`: progress on each target against the time elapsed and the budget spent,
the main metric per day against an even pace, per store, and the outputs tagged to it."""

from __future__ import annotations

from matplotlib.axes import Axes

from bot.charts.base import (
    ACTUAL,
    FONT,
    MISSING,
    PLAN,
    STATUS_COLOURS,
    add_axes,
    axes_title,
    compact_axis,
    day_ticks,
    draw_bars,
    header,
    new_figure,
    percent_axis,
    style_axes,
    to_png,
)
from bot.charts.campaign_data import CampaignChart, ProgressBar

MAX_STORES = 10
MAX_OUTPUTS = 6


def render_campaign_chart(data: CampaignChart) -> bytes:
    bars = data.bars or (ProgressBar("—", 0.0, "—"),)
    progress_h = 0.55 + 0.42 * len(bars)
    height_in = 1.3 + progress_h + 2.85 + 2.4
    figure = new_figure(height_in)
    header(figure, data.title, data.subtitle)
    top = 1 - 0.95 / height_in
    progress_bottom = top - progress_h / height_in
    _progress(
        add_axes(figure, (0.22, progress_bottom, 0.46, progress_h / height_in - 0.3 / height_in)),
        bars,
        data,
    )
    daily_top = progress_bottom - 0.7 / height_in
    daily_bottom = daily_top - 2.0 / height_in
    _daily(add_axes(figure, (0.09, daily_bottom, 0.87, daily_top - daily_bottom)), data)
    low_top = daily_bottom - 0.75 / height_in
    low_bottom = 0.35 / height_in
    _ranked(
        add_axes(figure, (0.17, low_bottom, 0.30, low_top - low_bottom)),
        data.stores[:MAX_STORES], data.stores_title, data,
    )  # fmt: skip
    _ranked(
        add_axes(figure, (0.66, low_bottom, 0.30, low_top - low_bottom)),
        data.outputs[:MAX_OUTPUTS], data.outputs_title, data,
    )  # fmt: skip
    return to_png(figure)


def _colour(bar: ProgressBar, time_share: float) -> str:
    ahead = bar.share <= time_share if bar.cost else bar.share >= time_share
    near = abs(bar.share - time_share) <= 0.1 * max(time_share, 0.01)
    return STATUS_COLOURS["good" if ahead else "warn" if near else "bad"]


def _progress(axes: Axes, bars: tuple[ProgressBar, ...], data: CampaignChart) -> None:
    positions = list(range(len(bars)))[::-1]
    shares = [min(bar.share, 1.5) for bar in bars]
    draw_bars(axes, positions, [1.0] * len(bars), colours="#eeeeee", thickness=0.6, horizontal=True)
    colours = [_colour(bar, data.time_share) for bar in bars]
    draw_bars(axes, positions, shares, colours=colours, thickness=0.6, horizontal=True)
    axes.axvline(data.time_share, color=PLAN, linestyle="--", linewidth=1.5)
    axes.text(
        data.time_share, len(bars) - 0.45, data.time_label, ha="center", va="bottom",
        fontsize=10, family=FONT, color=PLAN,
    )  # fmt: skip
    axes.set_yticks(positions, [bar.label for bar in bars], fontsize=11, family=FONT)
    right = max(1.0, *shares) * 1.02
    for position, bar in zip(positions, bars, strict=True):
        axes.text(right + 0.02, position, bar.text, va="center", fontsize=10.5, family=FONT)
    axes.set_xlim(0, right)
    axes.set_ylim(-0.6, len(bars) - 0.4)
    percent_axis(axes)
    axes.spines[["top", "right"]].set_visible(False)


def _daily(axes: Axes, data: CampaignChart) -> None:
    style_axes(axes)
    axes_title(axes, data.daily_title)
    if not data.days:
        axes.text(0.5, 0.5, data.none_label, ha="center", va="center", transform=axes.transAxes)
        axes.set_xticks([])
        return
    positions = list(range(len(data.days)))
    values = [v or 0.0 for v in data.daily]
    colours = [ACTUAL if v is not None else MISSING for v in data.daily]
    draw_bars(axes, positions, values, colours=colours, thickness=0.7)
    if data.daily_target is not None:
        axes.axhline(data.daily_target, color=PLAN, linestyle="--", linewidth=1.5)
    top = max([*values, data.daily_target or 0.0, 1.0]) * 1.15
    axes.set_ylim(0, top)
    axes.set_xlim(-0.6, len(positions) - 0.4)
    day_ticks(axes, data.days)
    compact_axis(axes, data.locale)


def _ranked(
    axes: Axes, rows: tuple[tuple[str, float], ...], title: str, data: CampaignChart
) -> None:
    axes_title(axes, title)
    axes.spines[["top", "right"]].set_visible(False)
    if not rows:
        axes.text(0.5, 0.5, data.none_label, ha="center", va="center", transform=axes.transAxes,
                  fontsize=11, family=FONT, color=PLAN)  # fmt: skip
        axes.set_xticks([])
        axes.set_yticks([])
        axes.spines[["left", "bottom"]].set_visible(False)
        return
    positions = list(range(len(rows)))[::-1]
    values = [value for _, value in rows]
    draw_bars(axes, positions, values, colours=ACTUAL, thickness=0.6, horizontal=True)
    axes.set_yticks(positions, [label for label, _ in rows], fontsize=10, family=FONT)
    axes.set_xlim(0, max([*values, 1.0]) * 1.15)
    axes.set_ylim(-0.6, len(rows) - 0.4)
    compact_axis(axes, data.locale, axis="x")
    axes.tick_params(axis="x", labelsize=9)
