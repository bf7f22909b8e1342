"""What the channel views say: the channel's name, its ROAS line, the brand × channel table."""

from __future__ import annotations

from collections.abc import Sequence

from bot.charts.data import ChannelTable, ChannelTableCell, Status
from bot.domain.channels import ChannelCell, Economics, platform_order, role_metric
from bot.domain.number_format import format_number
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.views.kpi import percent, show

GOOD, WARN = 1.0, 0.9  # attainment to date, as the ranking's colours


def channel_name(platform: str, t: Translator) -> str:
    return t(f"channel.name.{platform}")


def channel_title(platform: str, t: Translator) -> str:
    return t("channel.title", channel=channel_name(platform, t))


def _roas(value: float | None, locale: str) -> str:
    return "—" if value is None else format_number(value, locale, decimals=1)


def economics_lines(econ: Economics, org: OrgConfig, t: Translator) -> list[str]:
    """One caption line with ROAS and ads cost per order; none when the org file names no
    ads cost metric."""
    ads = role_metric(org, "ads_cost")
    if ads is None:
        return []
    return [
        t(
            "channel.caption.economics",
            roas=_roas(econ.roas, t.locale),
            cost_per_order=show(org, ads, econ.cost_per_order, t.locale),
        )
    ]


def _status(attainment: float | None) -> Status:
    if attainment is None:
        return "none"
    return "good" if attainment >= GOOD else "warn" if attainment >= WARN else "bad"


def channel_table(
    cells: Sequence[ChannelCell], org: OrgConfig, gmv: str, subtitle: str, t: Translator
) -> ChannelTable:
    brands = tuple(dict.fromkeys(c.brand for c in cells))
    platforms = tuple(
        dict.fromkeys(
            c.platform for c in sorted(cells, key=lambda c: platform_order(org, c.platform))
        )
    )
    found = {(c.brand, c.platform): c for c in cells}
    rows = []
    for brand in brands:
        row: list[ChannelTableCell | None] = []
        for platform in platforms:
            cell = found.get((brand, platform))
            if cell is None:
                row.append(None)
                continue
            attainment = (
                percent(cell.attainment) if cell.plan_to_date else t("channel.table.no_plan")
            )
            row.append(
                ChannelTableCell(
                    gmv=show(org, gmv, cell.gmv, t.locale),
                    attainment=attainment,
                    roas=f"ROAS {_roas(cell.roas, t.locale)}",
                    status=_status(cell.attainment),
                )
            )
        rows.append(tuple(row))
    return ChannelTable(
        title=t("channel.table.title"),
        subtitle=subtitle,
        brands=brands,
        channels=tuple(channel_name(p, t) for p in platforms),
        cells=tuple(rows),
        legend=t("channel.table.legend"),
        locale=t.locale,
    )
