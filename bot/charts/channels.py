"""The board's brand × channel table: GMV, attainment and ROAS per cell, coloured by status."""

from __future__ import annotations

from matplotlib.patches import Rectangle

from bot.charts.base import FONT, TILE_BACKGROUNDS, add_axes, header, new_figure, to_png
from bot.charts.data import ChannelTable

ROW_IN = 0.95  # one brand row: three lines at phone-readable size
HEAD_IN = 1.45  # title, subtitle, column names
MAX_ROWS = 30


def render_channel_table(table: ChannelTable) -> bytes:
    brands = table.brands[:MAX_ROWS]
    rows, columns = len(brands), max(1, len(table.channels))
    height = HEAD_IN + ROW_IN * max(1, rows) + 0.45
    figure = new_figure(height)
    header(figure, table.title, table.subtitle)
    top = 1 - (HEAD_IN - 0.35) / height
    bottom = 0.45 / height
    axes = add_axes(figure, (0.02, bottom, 0.96, top - bottom))
    axes.set_xlim(0, columns + 1)
    axes.set_ylim(max(1, rows), -0.45)
    axes.axis("off")
    for column, channel in enumerate(table.channels, start=1):
        axes.text(
            column + 0.5,
            -0.25,
            channel,
            ha="center",
            va="center",
            fontsize=14,
            fontweight="bold",
            family=FONT,
        )
    for row, brand in enumerate(brands):
        axes.text(
            0.05,
            row + 0.5,
            brand,
            ha="left",
            va="center",
            fontsize=14,
            fontweight="bold",
            family=FONT,
        )
        for column, cell in enumerate(table.cells[row][:columns], start=1):
            if cell is None:
                axes.text(
                    column + 0.5,
                    row + 0.5,
                    "·",
                    ha="center",
                    va="center",
                    fontsize=14,
                    color="#9e9e9e",
                    family=FONT,
                )
                continue
            axes.add_patch(
                Rectangle(
                    (column + 0.04, row + 0.05),
                    0.92,
                    0.9,
                    facecolor=TILE_BACKGROUNDS[cell.status],
                    edgecolor="none",
                )
            )
            axes.text(
                column + 0.5,
                row + 0.3,
                cell.gmv,
                ha="center",
                va="center",
                fontsize=14,
                fontweight="bold",
                family=FONT,
            )
            axes.text(
                column + 0.5,
                row + 0.68,
                f"{cell.attainment} · {cell.roas}",
                ha="center",
                va="center",
                fontsize=12,
                color="#424242",
                family=FONT,
            )
    if table.legend:
        figure.text(0.04, 0.2 / height, table.legend, fontsize=11, color="#555555", family=FONT)
    return to_png(figure)
