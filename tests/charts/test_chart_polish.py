"""Charts read on a phone: the legend never covers data, a lone point is drawn as a dot, a month
with one day of data spans the month, text is large enough at half size, the brand × channel
table draws, and the "all stores" tiles say "no plan" rather than leaving it blank."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support.people import sync_demo_org

from bot.charts.alert import alert_figure
from bot.charts.base import SMALL_TEXT
from bot.charts.channels import render_channel_table
from bot.charts.data import (
    AlertChart,
    AttainmentOverview,
    ChannelTable,
    ChannelTableCell,
    Heatmap,
    OverviewChart,
    RankedItem,
    StoreChart,
    Tile,
)
from bot.charts.ranking import overview_figure
from bot.charts.store import store_figure
from bot.demo.kpi_data import write_report
from bot.domain.periods import month_period
from bot.i18n import Translator
from bot.roles import Role
from bot.services.kpi import all_target, store_set_kpi
from bot.services.scope import Scope
from bot.views import kpi as views
from storage.repositories import catalog

NOVEMBER = tuple(date(2026, 11, d) for d in range(1, 31))
NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)


def _store_chart(actual: dict[int, float], plan: float | None = 10e6) -> StoreChart:
    daily = tuple(actual.get(i) for i in range(len(NOVEMBER)))
    running, cumulative = 0.0, []
    last = max(actual) if actual else -1
    for i in range(len(NOVEMBER)):
        running += actual.get(i, 0.0)
        cumulative.append(running if i <= last else None)
    plans = tuple(plan for _ in NOVEMBER)
    return StoreChart(
        title="HS-SHOPEE · Mỹ Phẩm Hoa Sen",
        subtitle="Tháng 11/2026 · đến 20/11",
        metric_label="Doanh thu (GMV)",
        days=NOVEMBER,
        daily_actual=daily,
        daily_plan=plans,
        cumulative_actual=tuple(cumulative),
        cumulative_plan=tuple(None if plan is None else plan * (i + 1) for i in range(30)),
        forecast=tuple(None for _ in NOVEMBER),
        tiles=(Tile("GMV", "245tr", "KH 300tr · 82%", "warn"),),
        missing_days=(NOVEMBER[3],),
    )


def _data_points(axes: Axes) -> list[tuple[float, float]]:
    """Display coordinates of every plotted point and bar corner of the axes."""
    points: list[tuple[float, float]] = []
    for line in axes.get_lines():
        xy = np.column_stack([line.get_xdata(), line.get_ydata()]).astype(float)
        points += [tuple(p) for p in axes.transData.transform(xy)]
    for collection in axes.collections:
        if isinstance(collection, PolyCollection):
            for path in collection.get_paths():
                points += [tuple(p) for p in axes.transData.transform(path.vertices)]
        else:
            points += [tuple(p) for p in axes.transData.transform(collection.get_offsets())]
    return points


def _legend_clear_of_data(figure: Figure) -> int:
    figure.canvas.draw()
    checked = 0
    for axes in figure.axes:
        legend = axes.get_legend()
        if legend is None:
            continue
        box = legend.get_window_extent()
        inside = [p for p in _data_points(axes) if box.contains(*p)]
        assert not inside, f"legend of {axes.get_title(loc='left')!r} covers {inside[:3]}"
        title = axes.title if axes.title.get_text() else axes._left_title
        assert not box.overlaps(title.get_window_extent())
        checked += 1
    return checked


def test_legends_cover_no_data_even_when_the_month_starts_high() -> None:
    # Big first days: bars and the cumulative line fill the upper left, where legends used to be.
    front_loaded = {i: (60e6 if i < 5 else 2e6) for i in range(20) if i != 3}
    assert _legend_clear_of_data(store_figure(_store_chart(front_loaded))) == 2
    alert = AlertChart(
        title="HS-SHOPEE",
        subtitle="GMV",
        metric_label="Doanh thu (GMV)",
        days=NOVEMBER[:14],
        values=tuple([50e6, 48e6, None, *([5e6] * 11)]),
        targets=tuple([20e6] * 14),
        breached=(NOVEMBER[5],),
    )
    assert _legend_clear_of_data(alert_figure(alert)) == 1


def test_a_single_point_is_a_visible_marker_and_the_month_is_spanned() -> None:
    figure = store_figure(_store_chart({0: 8e6}, plan=None))
    cumulative = figure.axes[0]
    lines = [line for line in cumulative.get_lines() if len(line.get_xdata()) == 1]
    assert lines, "the one day of data is plotted"
    for line in lines:
        assert isinstance(line, Line2D)
        assert line.get_marker() not in (None, "None", "", " ")
        assert line.get_markersize() >= 6
    left, right = cumulative.get_xlim()
    assert left <= 0 and right >= len(NOVEMBER) - 1  # the whole month, not a lone dot
    assert _legend_clear_of_data(figure) >= 1


def test_first_day_of_a_month_overview_reads_well() -> None:
    items = (
        RankedItem("HS-SHOPEE", None, "5tr"),
        RankedItem("TTSG-Q1", 0.8, "4tr"),
    )
    overview = OverviewChart(
        AttainmentOverview("Tất cả gian hàng", "Tháng 11/2026 · đến 01/11", items),
        Heatmap(("HS-SHOPEE", "TTSG-Q1"), NOVEMBER[:1], ((1.0,), (None,))),
        (Tile("GMV", "9tr", "chưa có kế hoạch"),),
    )
    figure = overview_figure(overview)
    ranking, heat = figure.axes
    left, right = heat.get_xlim()
    assert right - left >= 7  # one narrow column, not a wall of colour
    notes = [t.get_text() for t in ranking.texts]
    assert "5tr" in notes and not any(n.startswith("—") for n in notes)


def _small_texts(figure: Figure) -> list[tuple[str, float]]:
    figure.canvas.draw()
    texts = [t for t in figure.findobj(Text) if t.get_visible() and t.get_text().strip()]
    return sorted({(t.get_text(), t.get_fontsize()) for t in texts if t.get_fontsize() < 12})


def test_text_and_lines_are_readable_at_half_size() -> None:
    figure = store_figure(_store_chart({i: 5e6 for i in range(20)}))
    assert not _small_texts(figure)
    assert SMALL_TEXT >= 12
    widths = [line.get_linewidth() for ax in figure.axes for line in ax.get_lines()]
    assert widths and min(widths) >= 2.5
    items = tuple(RankedItem(f"S{i:03d}", i / 10, "12tr · 18/20 ngày") for i in range(20))
    overview = OverviewChart(
        AttainmentOverview("Tất cả gian hàng", "Tháng 11/2026", items),
        Heatmap(("S001", "S002"), NOVEMBER[:20], ((1.0,) * 20, (0.7,) * 20)),
        (Tile("GMV", "9tr", "KH 10tr · 90%"),),
    )
    assert not _small_texts(overview_figure(overview))


def test_channel_table_draws_every_cell() -> None:
    cell = ChannelTableCell("245tr", "82%", "ROAS 6,1", "warn")
    table = ChannelTable(
        title="GMV theo thương hiệu × kênh",
        subtitle="01/11/2026 – 20/11/2026",
        brands=("HS", "TTSG"),
        channels=("Shopee", "TikTok Shop", "Cửa hàng (POS)"),
        cells=((cell, cell, None), (cell, None, cell)),
        legend="Mỗi ô: GMV · % đạt KH đến nay · ROAS",
    )
    png = render_channel_table(table)
    assert png.startswith(b"\x89PNG") and len(png) > 5000


async def test_all_stores_tiles_say_no_plan(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        org = await sync_demo_org(session)
        stores = list(await catalog.list_stores(session))
        for store in stores[:3]:
            for day in range(1, 21):
                await write_report(
                    session,
                    subject_key=f"store:{store.id}",
                    store_id=store.id,
                    form="growth",
                    day=date(2026, 11, day),
                    values={"gmv": 5e6, "orders": 30, "traffic": 900},
                    sent_at=datetime(2026, 11, day, 1, tzinfo=UTC) + timedelta(days=1),
                )
    scope = Scope(Role.BOD, True, tuple(stores), frozenset(), frozenset())
    target = all_target(scope, "Tất cả gian hàng")
    assert target is not None
    async with session_factory() as session:
        view = await store_set_kpi(
            session, org, target, month_period(2026, 11), date(2026, 11, 20), now=NOW
        )
    for locale, words in (("vi", "chưa có kế hoạch"), ("en", "no plan")):
        t = Translator(locale)
        tiles = views.tiles(view, org, t)
        base = [tile for tile in tiles if tile.label in ("GMV", "Doanh thu (GMV)", "Đơn hàng")]
        assert tiles and all(words in tile.detail for tile in tiles[:3]), tiles
        assert base or tiles
        caption = views.store_set_caption(view, org, t)
        assert words in caption and "—" not in caption.split("\n")[3]
