"""The store chart drawn with plain matplotlib calls: what the project's chart costs is
measured against it."""

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
