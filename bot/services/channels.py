"""Channel views: `/kpi shopee`, `/kpi tiktok`, `/kpi pos` (the stores of one platform, in the
member's scope) and the board's brand × channel table.

A platform none of whose stores is in the member's scope does not exist for them: the caller
answers exactly as for an unknown name.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.channels import (
    ChannelCell,
    Economics,
    channel_cells,
    economics,
    match_platform,
    org_platforms,
    platform_id,
)
from bot.domain.channels import role_metric as _role_metric
from bot.domain.kpi_results import StoreSetKpi, Target
from bot.org.schema import OrgConfig
from bot.services.scope import Scope
from storage.models import Store


def find_channel(org: OrgConfig, text: str) -> str | None:
    """The platform of the org's stores that ``text`` names, or None."""
    return match_platform(org_platforms(org), text)


def channel_target(scope: Scope, platform: str, name: str) -> Target | None:
    """The platform's stores in scope, or None when none of them is."""
    stores = tuple(s for s in scope.stores if s.platform == platform)
    if not stores:
        return None
    return Target("channel", platform_id(platform), platform, name, stores, ("all", 0))


def role_metric(org: OrgConfig, role: str) -> str | None:
    return _role_metric(org, role)


def view_economics(org: OrgConfig, view: StoreSetKpi) -> Economics:
    """ROAS and cost per order of a store set's period totals."""
    actuals = {key: kpi.actual for key, kpi in view.report.metrics.items()}
    return economics(
        actuals, view.primary, role_metric(org, "ads_cost"), role_metric(org, "orders")
    )


def brand_channel_cells(
    org: OrgConfig, view: StoreSetKpi, stores: Sequence[Store]
) -> list[ChannelCell]:
    """Per (brand, platform) with at least one store in the view."""
    groups = {f"store:{s.id}": (s.brand.code, s.platform) for s in stores}
    return channel_cells(org, view, groups)
