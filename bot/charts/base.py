"""Shared drawing pieces: the figure, colours, compact number ticks, bars, tiles and PNG output."""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import date
from typing import Any

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch
from matplotlib.ticker import FuncFormatter

from bot.charts.data import Status, Tile
from bot.domain.number_format import format_compact

DPI = 110
WIDTH_IN = 8.0  # 880 px: sharp on a phone after Telegram's resizing, text still large
# Read on a 6-inch screen the image shows at about half size: nothing smaller than 12 pt
# (about 9 px there), data lines at least 2.5 pt wide.
SMALL_TEXT = 12.0
LINE = 2.5
FONT = "DejaVu Sans"  # ships with matplotlib and has every Vietnamese letter
PNG_OPTIONS = {"compress_level": 3}

ACTUAL = "#1565c0"
PLAN = "#757575"
FORECAST = "#ef6c00"
MISSING = "#bdbdbd"
STATUS_COLOURS: dict[Status, str] = {
    "good": "#2e7d32",
    "warn": "#f9a825",
    "bad": "#c62828",
    "none": "#9e9e9e",
}
TILE_BACKGROUNDS: dict[Status, str] = {
    "good": "#e8f5e9",
    "warn": "#fff8e1",
    "bad": "#ffebee",
    "none": "#f5f5f5",
}


_KEPT_RENDERERS = 4  # per thread: enough for the sizes of the last few charts
_local = threading.local()


class _Canvas(FigureCanvasAgg):
    """An Agg canvas drawing on a renderer kept per thread and figure size. The renderer is
    cleared before every draw, so nothing of one chart shows in the next; keeping it keeps
    matplotlib's text-size cache, which lives on the renderer, warm from chart to chart."""

    def get_renderer(self) -> RendererAgg:
        width, height = self.get_width_height(physical=True)
        key = (width, height, self.figure.dpi)
        kept: OrderedDict[tuple[int, int, float], RendererAgg] | None
        kept = getattr(_local, "renderers", None)
        if kept is None:
            kept = _local.renderers = OrderedDict()
        renderer = kept.pop(key, None) or RendererAgg(width, height, self.figure.dpi)
        kept[key] = renderer  # the most recently used last
        if len(kept) > _KEPT_RENDERERS:
            kept.popitem(last=False)
        self.renderer = renderer
        return renderer


def new_figure(height_in: float) -> Figure:
    figure = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI, facecolor="white")
    _Canvas(figure)
    return figure


def add_axes(figure: Figure, rect: tuple[float, float, float, float]) -> Axes:
    """``figure.add_axes`` for our charts, which never label their axes: fixing the empty axis
    labels' positions spares every draw measuring all tick labels again to place them."""
    axes = figure.add_axes(rect)
    axes.xaxis.set_label_coords(0.5, 0.0)
    axes.yaxis.set_label_coords(0.0, 0.5)
    return axes


def to_png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, pil_kwargs=PNG_OPTIONS)
    return buffer.getvalue()


def header(figure: Figure, title: str, subtitle: str) -> None:
    """Title and subtitle at a fixed distance from the top, whatever the figure's height."""
    height_in = figure.get_size_inches()[1]
    figure.text(
        0.04, 1 - 0.15 / height_in, title, fontsize=17, fontweight="bold", va="top", family=FONT
    )
    figure.text(
        0.04, 1 - 0.52 / height_in, subtitle, fontsize=12, color="#555555", va="top", family=FONT
    )


def axes_title(axes: Axes, text: str) -> None:
    """A left title just above the axes. The explicit ``y`` is where automatic placement puts it
    anyway (no ticks on top) and saves measuring every tick label to find that out."""
    axes.set_title(text, loc="left", fontsize=14, family=FONT, y=1.0)


def compact_axis(axes: Axes, locale: str, axis: str = "y") -> None:
    formatter = FuncFormatter(lambda value, _pos: format_compact(float(value), locale))
    (axes.yaxis if axis == "y" else axes.xaxis).set_major_formatter(formatter)


def percent_axis(axes: Axes, axis: str = "x") -> None:
    formatter = FuncFormatter(lambda value, _pos: f"{float(value) * 100:.0f}%")
    (axes.xaxis if axis == "x" else axes.yaxis).set_major_formatter(formatter)


def draw_bars(
    axes: Axes,
    positions: Sequence[float],
    values: Sequence[float],
    *,
    colours: str | Sequence[str],
    thickness: float,
    horizontal: bool = False,
    label: str | None = None,
) -> None:
    """Bars from zero that look as ``Axes.bar``/``barh`` draws them (no edge, same autoscaling,
    same legend key) but are one collection: ``bar`` makes, autoscales and draws a Rectangle per
    bar, which is slow. Unlike ``bar``'s, they are listed in the legend where they were added."""
    half = thickness / 2
    boxes = [
        [(0, p - half), (v, p - half), (v, p + half), (0, p + half)]
        if horizontal
        else [(p - half, 0), (p - half, v), (p + half, v), (p + half, 0)]
        for p, v in zip(positions, values, strict=True)
    ]
    collection = PolyCollection(boxes, facecolors=colours, edgecolors="none", label=label)
    (collection.sticky_edges.x if horizontal else collection.sticky_edges.y).append(0)
    axes.add_collection(collection)


def mark_missing(axes: Axes, positions: Sequence[int], label: str) -> None:
    """Grey crosses on the zero line for days without a report (missing is not zero)."""
    if not positions:
        return
    axes.scatter(
        positions,
        [0] * len(positions),
        marker="x",
        s=70,
        color=MISSING,
        linewidths=2.5,
        zorder=3,
        clip_on=False,
        label=label,
    )


def legend_above(axes: Axes, ncols: int = 3) -> None:
    """The legend above the plot area, right-aligned (the axes title is on the left), so it
    never covers a bar, a line or a point."""
    axes.legend(
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        fontsize=SMALL_TEXT,
        frameon=False,
        ncols=ncols,
        borderaxespad=0.1,
        handlelength=1.2,
        columnspacing=0.8,
        handletextpad=0.3,
    )


def lone_marker(points: Sequence[object]) -> dict[str, Any]:
    """A series of one point is a line of no length: draw it as a dot."""
    return {"marker": "o", "markersize": 9} if len(points) == 1 else {}


def style_axes(axes: Axes) -> None:
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(labelsize=SMALL_TEXT)
    axes.grid(axis="y", color="#e0e0e0", linewidth=0.8)
    axes.margins(y=0.1)  # headroom: a lone top point is not drawn on the frame
    axes.set_axisbelow(True)


def day_ticks(axes: Axes, days: Sequence[date], *, max_labels: int = 10) -> None:
    """Day labels (``21/11``) under positions 0..n-1, thinned to stay readable."""
    step = max(1, -(-len(days) // max_labels))
    positions = list(range(0, len(days), step))
    axes.set_xticks(positions, [days[i].strftime("%d/%m") for i in positions])
    axes.set_xlim(-0.6, len(days) - 0.4)


def draw_tiles(
    figure: Figure, tiles: Sequence[Tile], top: float, bottom: float, *, columns: int = 3
) -> None:
    """Tiles in rows of ``columns`` between figure heights ``bottom`` and ``top``."""
    if not tiles:
        return
    rows = -(-len(tiles) // columns)
    gap = 0.015
    width = (0.92 - gap * (columns - 1)) / columns
    height = (top - bottom - gap * (rows - 1)) / rows
    for index, tile in enumerate(tiles):
        row, column = divmod(index, columns)
        x = 0.04 + column * (width + gap)
        y = top - (row + 1) * height - row * gap
        figure.add_artist(
            FancyBboxPatch(
                (x, y),
                width,
                height,
                boxstyle="round,pad=0,rounding_size=0.01",
                transform=figure.transFigure,
                facecolor=TILE_BACKGROUNDS[tile.status],
                edgecolor=STATUS_COLOURS[tile.status],
                linewidth=2,
            )
        )
        left = x + 0.012
        figure.text(
            left,
            y + height * 0.80,
            tile.label,
            fontsize=SMALL_TEXT,
            color="#424242",
            va="center",
            family=FONT,
        )
        figure.text(
            left,
            y + height * 0.50,
            tile.value,
            fontsize=17,
            fontweight="bold",
            color="#212121",
            va="center",
            family=FONT,
        )
        figure.text(
            left,
            y + height * 0.20,
            tile.detail,
            fontsize=SMALL_TEXT,
            color=STATUS_COLOURS[tile.status],
            va="center",
            family=FONT,
        )
