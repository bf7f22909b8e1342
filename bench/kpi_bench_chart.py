"""The store, overview and campaign charts drawn with plain matplotlib calls: what the
project's charts cost is measured against them."""

from __future__ import annotations

import io
from typing import Any


def bare_store_chart(data: Any) -> bytes:
    """The same figure drawn with plain matplotlib calls, no project helpers."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import PolyCollection
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch
    from matplotlib.ticker import FuncFormatter

    from bot.domain.number_format import format_compact

    figure = Figure(figsize=(8.0, 10.0), dpi=110, facecolor="white")
    FigureCanvasAgg(figure)
    figure.text(0.04, 0.985, data.title, fontsize=17, fontweight="bold", va="top")
    figure.text(0.04, 0.948, data.subtitle, fontsize=12, color="#555555", va="top")
    width, height = (0.92 - 0.03) / 3, (0.915 - 0.70 - 0.015) / 2
    for index, tile in enumerate(data.tiles):
        row, column = divmod(index, 3)
        x, y = 0.04 + column * (width + 0.015), 0.915 - (row + 1) * height - row * 0.015
        figure.add_artist(
            FancyBboxPatch(
                (x, y),
                width,
                height,
                transform=figure.transFigure,
                boxstyle="round,pad=0,rounding_size=0.01",
                facecolor="#f5f5f5",
                edgecolor="#9e9e9e",
                linewidth=2,
            )
        )
        figure.text(x + 0.012, y + height * 0.8, tile.label, fontsize=11, va="center")
        figure.text(
            x + 0.012, y + height * 0.5, tile.value, fontsize=17, fontweight="bold", va="center"
        )
        figure.text(x + 0.012, y + height * 0.2, tile.detail, fontsize=10.5, va="center")
    days = [d.strftime("%d/%m") for d in data.days]
    ticks = list(range(0, len(days), 4))
    formatter = FuncFormatter(lambda v, _p: format_compact(float(v)))
    top = figure.add_axes((0.12, 0.35, 0.84, 0.30))
    top.xaxis.set_label_coords(0.5, 0.0)
    top.yaxis.set_label_coords(0.0, 0.5)
    series = [(data.cumulative_plan, "--"), (data.forecast, ":"), (data.cumulative_actual, "-")]
    for values, style in series:
        points = [(i, v) for i, v in enumerate(values) if v is not None]
        if points:
            top.plot(
                [p[0] for p in points],
                [p[1] for p in points],
                linestyle=style,
                linewidth=2.5,
                label=style,
            )
    top.set_title("cumulative", loc="left", fontsize=13, y=1.0)
    top.yaxis.set_major_formatter(formatter)
    top.set_xticks(ticks, [days[i] for i in ticks])
    top.set_ylim(bottom=0)
    top.grid(axis="y")
    top.legend(loc="upper left", frameon=False)
    bottom = figure.add_axes((0.12, 0.06, 0.84, 0.21))
    bottom.xaxis.set_label_coords(0.5, 0.0)
    bottom.yaxis.set_label_coords(0.0, 0.5)
    plan = [(i, v) for i, v in enumerate(data.daily_plan) if v is not None]
    bottom.step(
        [p[0] for p in plan], [p[1] for p in plan], where="mid", linestyle="--", label="plan"
    )
    bars = [(i, v) for i, v in enumerate(data.daily_actual) if v is not None]
    boxes = [[(i - 0.35, 0), (i - 0.35, v), (i + 0.35, v), (i + 0.35, 0)] for i, v in bars]
    bottom.add_collection(PolyCollection(boxes, edgecolors="none", label="actual"))
    bottom.set_title("daily", loc="left", fontsize=13, y=1.0)
    bottom.yaxis.set_major_formatter(formatter)
    bottom.set_xticks(ticks, [days[i] for i in ticks])
    bottom.set_ylim(bottom=0)
    bottom.grid(axis="y")
    bottom.legend(loc="upper left", frameon=False, ncols=3)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, pil_kwargs={"compress_level": 3})
    return buffer.getvalue()


def bare_overview_chart(data: Any) -> bytes:
    """The overview figure (tiles, ranking bars, store × day heatmap) in plain matplotlib."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8.0, 11.0), dpi=110, facecolor="white")
    FigureCanvasAgg(figure)
    overview = data.overview
    figure.text(0.04, 0.985, overview.title, fontsize=17, fontweight="bold", va="top")
    figure.text(0.04, 0.955, overview.subtitle, fontsize=12, color="#555555", va="top")
    for index, tile in enumerate(data.tiles):
        x = 0.04 + index * 0.31
        figure.text(x, 0.89, tile.label, fontsize=11)
        figure.text(x, 0.865, tile.value, fontsize=17, fontweight="bold")
        figure.text(x, 0.845, tile.detail, fontsize=10.5)
    items = sorted(overview.items, key=lambda i: -(i.attainment or 0.0))
    if len(items) > overview.limit:
        half = overview.limit // 2
        items = items[:half] + items[-(overview.limit - half) :]
    ranking = figure.add_axes((0.30, 0.39, 0.66, 0.40))
    positions = list(range(len(items)))[::-1]
    values = [i.attainment or 0.0 for i in items]
    ranking.barh(positions, values, height=0.65)
    ranking.set_yticks(positions, [i.label for i in items], fontsize=11)
    ranking.axvline(1.0, linestyle="--")
    for position, item, value in zip(positions, items, values, strict=True):
        ranking.text(
            value, position, f"{value * 100:.0f}%  {item.note}", va="center", fontsize=10.5
        )
    heat = figure.add_axes((0.30, 0.05, 0.66, 0.23))
    cells = np.array(
        [[np.nan if v is None else v for v in row] for row in data.heatmap.cells] or [[np.nan]],
        dtype=float,
    )
    heat.imshow(np.ma.masked_invalid(cells), aspect="auto", vmin=0.6, vmax=1.2)
    heat.set_yticks(range(len(data.heatmap.rows)), data.heatmap.rows, fontsize=10)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, pil_kwargs={"compress_level": 3})
    return buffer.getvalue()


def bare_campaign_chart(data: Any) -> bytes:
    """The campaign figure (progress bars against the time line, the main metric per day,
    stores and tagged outputs) in plain matplotlib."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import PolyCollection
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    from bot.domain.number_format import format_compact

    def bars(axes: Any, positions: list[int], values: list[float], horizontal: bool) -> None:
        boxes = [
            [(0, p - 0.3), (v, p - 0.3), (v, p + 0.3), (0, p + 0.3)]
            if horizontal
            else [(p - 0.35, 0), (p - 0.35, v), (p + 0.35, v), (p + 0.35, 0)]
            for p, v in zip(positions, values, strict=True)
        ]
        axes.add_collection(PolyCollection(boxes, edgecolors="none"))

    compact = FuncFormatter(lambda v, _p: format_compact(float(v)))
    shown = data.bars or ()
    progress_h = 0.55 + 0.42 * max(1, len(shown))
    height = 1.3 + progress_h + 2.85 + 2.4
    figure = Figure(figsize=(8.0, height), dpi=110, facecolor="white")
    FigureCanvasAgg(figure)
    figure.text(0.04, 1 - 0.15 / height, data.title, fontsize=17, fontweight="bold", va="top")
    figure.text(0.04, 1 - 0.52 / height, data.subtitle, fontsize=12, color="#555555", va="top")
    top = 1 - 0.95 / height
    bottom = top - progress_h / height
    progress = figure.add_axes((0.22, bottom, 0.46, progress_h / height - 0.3 / height))
    positions = list(range(len(shown)))[::-1]
    shares = [min(bar.share, 1.5) for bar in shown]
    bars(progress, positions, [1.0] * len(shown), True)
    bars(progress, positions, shares, True)
    progress.axvline(data.time_share, linestyle="--")
    progress.text(data.time_share, len(shown) - 0.45, data.time_label, ha="center", fontsize=10)
    progress.set_yticks(positions, [bar.label for bar in shown], fontsize=11)
    right = max(1.0, *shares) * 1.02
    for position, bar in zip(positions, shown, strict=True):
        progress.text(right + 0.02, position, bar.text, va="center", fontsize=10.5)
    progress.set_xlim(0, right)
    progress.set_ylim(-0.6, len(shown) - 0.4)
    progress.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v * 100:.0f}%"))
    daily_top = bottom - 0.7 / height
    daily_bottom = daily_top - 2.0 / height
    daily = figure.add_axes((0.09, daily_bottom, 0.87, daily_top - daily_bottom))
    daily.set_title(data.daily_title, loc="left", fontsize=14, y=1.0)
    values = [v or 0.0 for v in data.daily]
    bars(daily, list(range(len(values))), values, False)
    if data.daily_target is not None:
        daily.axhline(data.daily_target, linestyle="--")
    daily.set_ylim(0, max([*values, data.daily_target or 0.0, 1.0]) * 1.15)
    step = max(1, -(-len(data.days) // 10))
    ticks = list(range(0, len(data.days), step))
    daily.set_xticks(ticks, [data.days[i].strftime("%d/%m") for i in ticks])
    daily.set_xlim(-0.6, len(data.days) - 0.4)
    daily.yaxis.set_major_formatter(compact)
    daily.grid(axis="y")
    low_top, low_bottom = daily_bottom - 0.75 / height, 0.35 / height
    for left, rows, title in (
        (0.17, data.stores[:10], data.stores_title),
        (0.66, data.outputs[:6], data.outputs_title),
    ):
        axes = figure.add_axes((left, low_bottom, 0.30, low_top - low_bottom))
        axes.set_title(title, loc="left", fontsize=14, y=1.0)
        if not rows:
            axes.text(0.5, 0.5, data.none_label, ha="center", va="center")
            axes.set_xticks([])
            axes.set_yticks([])
            continue
        positions = list(range(len(rows)))[::-1]
        bars(axes, positions, [v for _, v in rows], True)
        axes.set_yticks(positions, [label for label, _ in rows], fontsize=10)
        axes.set_xlim(0, max([*(v for _, v in rows), 1.0]) * 1.15)
        axes.set_ylim(-0.6, len(rows) - 0.4)
        axes.xaxis.set_major_formatter(compact)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, pil_kwargs={"compress_level": 3})
    return buffer.getvalue()
