"""/me: the member's own stores (or output) and how punctual their reports were."""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection

from bot.charts.base import (
    FONT,
    MISSING,
    SMALL_TEXT,
    STATUS_COLOURS,
    add_axes,
    draw_tiles,
    header,
    new_figure,
    to_png,
)
from bot.charts.data import AttainmentOverview, MeChart
from bot.charts.ranking import draw_ranking

VERDICT_COLOURS = {
    "on_time": STATUS_COLOURS["good"],
    "late": STATUS_COLOURS["warn"],
    "missing": MISSING,
}


def render_me_chart(data: MeChart) -> bytes:
    rows = max(1, min(len(data.stores), 10))
    height_in = 4.6 + 0.42 * rows + (1.0 if data.tiles else 0.0)
    figure = new_figure(height_in)
    header(figure, data.title, data.subtitle)
    top = 1 - 1.1 / height_in
    if data.tiles:
        draw_tiles(figure, data.tiles, top=top, bottom=top - 0.9 / height_in)
        top -= 1.05 / height_in
    strip_height = 1.5 / height_in
    ranking_bottom = 0.3 / height_in + strip_height + 0.8 / height_in
    if data.stores:
        ranking = add_axes(figure, (0.30, ranking_bottom, 0.66, top - ranking_bottom - 0.04))
        overview = AttainmentOverview("", "", data.stores, limit=10, labels=data.labels)
        draw_ranking(ranking, overview)
    strip = add_axes(figure, (0.04, 0.3 / height_in, 0.92, strip_height))
    _punctuality(strip, data)
    return to_png(figure)


def _punctuality(axes: Axes, data: MeChart) -> None:
    """One square per due day, coloured on time / late / missing, with the counts."""
    days = data.punctuality
    # One collection rather than a Rectangle per day: same squares, far fewer artists.
    squares = [[(i, 0), (i + 0.88, 0), (i + 0.88, 0.88), (i, 0.88)] for i in range(len(days))]
    colours = [VERDICT_COLOURS[verdict] for _, verdict in days]
    axes.add_collection(PolyCollection(squares, facecolors=colours, edgecolors="none"))
    for index, (day, _) in enumerate(days):
        if len(days) <= 16 or index % 5 == 0 or index == len(days) - 1:
            axes.text(
                index + 0.44,
                -0.25,
                day.strftime("%d"),
                ha="center",
                va="top",
                fontsize=SMALL_TEXT,
                family=FONT,
            )
    axes.set_xlim(-0.2, max(len(days), 7) + 0.2)
    axes.set_ylim(-0.9, 1.9)
    axes.axis("off")
    counts = {v: sum(1 for _, seen in days if seen == v) for v in VERDICT_COLOURS}
    names = {
        "on_time": data.labels.on_time,
        "late": data.labels.late,
        "missing": data.labels.missing,
    }
    for kind, x in zip(VERDICT_COLOURS, (0.0, 0.34, 0.64), strict=True):
        axes.text(
            x,
            0.98,
            "■",
            color=VERDICT_COLOURS[kind],
            fontsize=15,
            transform=axes.transAxes,
            va="bottom",
            family=FONT,
        )
        axes.text(
            x + 0.035,
            0.98,
            f"{names[kind]}: {counts[kind]}",
            fontsize=11.5,
            transform=axes.transAxes,
            va="bottom",
            family=FONT,
        )
