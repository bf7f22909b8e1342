"""Sales channels: the platforms the org's stores sell on (Shopee, TikTok Shop, POS…), found
from what someone typed, and their economics (ROAS, cost per order) from summed metrics.

The metrics are named by their ``role`` in the org file (``ads_cost``, ``orders``); GMV is the
view's primary metric. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import get_args

from bot.domain.kpi_results import StoreSetKpi
from bot.domain.text_norm import normalize
from bot.org.fields import Platform
from bot.org.schema import OrgConfig

PLATFORMS: tuple[str, ...] = get_args(Platform)


def platform_id(platform: str) -> int:
    """A stable small number for a platform (button data)."""
    return PLATFORMS.index(platform)


def platform_of_id(value: int) -> str | None:
    return PLATFORMS[value] if 0 <= value < len(PLATFORMS) else None


def org_platforms(org: OrgConfig) -> tuple[str, ...]:
    """The platforms of the org's stores, in the schema's order."""
    used = {store.platform for store in org.stores}
    return tuple(p for p in PLATFORMS if p in used)


def match_platform(platforms: Iterable[str], text: str) -> str | None:
    """The platform ``text`` names: its code in any case, accents or spacing ("Tik Tok")."""
    typed = normalize(text).replace(" ", "")
    if not typed:
        return None
    return next((p for p in platforms if p == typed), None)


def role_metric(org: OrgConfig, role: str) -> str | None:
    """The base metric the org file gives this role (the first one), or None."""
    return next((m.key for m in org.base_metrics if m.role == role), None)


@dataclass(frozen=True)
class Economics:
    gmv: float | None
    ads_cost: float | None
    orders: float | None

    @property
    def roas(self) -> float | None:
        if self.gmv is None or not self.ads_cost:
            return None
        return self.gmv / self.ads_cost

    @property
    def cost_per_order(self) -> float | None:
        if self.ads_cost is None or not self.orders:
            return None
        return self.ads_cost / self.orders


def economics(
    actuals: Mapping[str, float | None], gmv: str, ads_cost: str | None, orders: str | None
) -> Economics:
    """ROAS and cost per order of summed actuals (metric key -> sum, None: not reported)."""
    return Economics(
        actuals.get(gmv),
        actuals.get(ads_cost) if ads_cost else None,
        actuals.get(orders) if orders else None,
    )


@dataclass(frozen=True)
class ChannelCell:
    """One brand on one platform over a period: GMV, plan to date and ads cost summed over
    its stores (None: nothing reported / no plan)."""

    brand: str
    platform: str
    gmv: float | None
    plan_to_date: float | None
    ads_cost: float | None

    @property
    def attainment(self) -> float | None:
        if self.gmv is None or not self.plan_to_date:
            return None
        return self.gmv / self.plan_to_date

    @property
    def roas(self) -> float | None:
        if self.gmv is None or not self.ads_cost:
            return None
        return self.gmv / self.ads_cost


def _add(total: float | None, value: float | None) -> float | None:
    if value is None:
        return total
    return value if total is None else total + value


def channel_cells(
    org: OrgConfig, view: StoreSetKpi, groups: Mapping[str, tuple[str, str]]
) -> list[ChannelCell]:
    """Per (brand, platform) of the view's stores (``groups``: subject key -> (brand code,
    platform)), brands by code, platforms in the schema's order."""
    ads = role_metric(org, "ads_cost")
    cells: dict[tuple[str, str], ChannelCell] = {}
    for subject in view.report.subjects:
        group = groups.get(subject.key)
        if group is None:
            continue
        cell = cells.get(group) or ChannelCell(group[0], group[1], None, None, None)
        primary = subject.metrics.get(view.primary)
        ads_kpi = subject.metrics.get(ads) if ads else None
        cells[group] = ChannelCell(
            cell.brand,
            cell.platform,
            _add(cell.gmv, primary.actual if primary else None),
            _add(cell.plan_to_date, primary.plan_to_date if primary else None),
            _add(cell.ads_cost, ads_kpi.actual if ads_kpi else None),
        )
    return sorted(cells.values(), key=lambda c: (c.brand, platform_order(org, c.platform)))


def platform_order(org: OrgConfig, platform: str) -> int:
    platforms = org_platforms(org)
    return platforms.index(platform) if platform in platforms else len(platforms)
