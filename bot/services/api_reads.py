"""What the HTTP API reads for a token: a store's current values with their revisions, and the
KPI of a store or brand as the /kpi caption computes it (``bot.services.kpi``, not again here).

Stores and brands outside the token's scope are treated as not existing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.kpi_results import StoreSetKpi, Target
from bot.domain.periods import Period, parse_period
from bot.org.schema import OrgConfig
from bot.roles import Role
from bot.services import kpi as kpi_service
from bot.services.api_tokens import Principal, stores_in_scope
from bot.services.scope import Scope
from storage.models import Store
from storage.repositories import api_tokens as repo
from storage.repositories.api_tokens import DayRow


async def find_store(session: AsyncSession, principal: Principal, code: str) -> Store | None:
    wanted = code.strip().lower()
    for store in await stores_in_scope(session, principal):
        if store.code.lower() == wanted:
            return store
    return None


async def store_values(
    session: AsyncSession, store: Store, start: date, end: date, metric: str | None
) -> list[DayRow]:
    return await repo.store_days(session, store.id, start, end, metric)


@dataclass(frozen=True)
class KpiAnswer:
    target: Target
    kpi: StoreSetKpi | None  # None: the period has not started yet
    period: Period
    today: date


async def token_scope(session: AsyncSession, principal: Principal) -> Scope:
    stores = tuple(await stores_in_scope(session, principal))
    return Scope(Role.ADMIN, principal.scope.kind == "all", stores, frozenset(), frozenset())


async def kpi_of(
    session: AsyncSession,
    org: OrgConfig,
    principal: Principal,
    code: str,
    period_text: str,
    now: datetime,
) -> KpiAnswer | None:
    """The KPI of the store or brand ``code`` over ``period_text`` (month, week, YYYY-MM), as
    /kpi shows it at ``now``; None when the code names nothing in scope. ValueError for a
    period that cannot be read."""
    today = kpi_service.as_of(org, now)
    period = parse_period(period_text, today)
    if period is None:
        raise ValueError(period_text)
    scope = await token_scope(session, principal)
    wanted = code.strip().lower()
    target = None
    store = next((s for s in scope.stores if s.code.lower() == wanted), None)
    if store is not None:
        target = kpi_service.store_target(scope, store.id)
    else:
        for brand in kpi_service.brands_in_scope(scope):
            if brand.code.lower() == wanted:
                target = kpi_service.brand_target(scope, brand.id)
    if target is None:
        return None
    if period.start > today:
        return KpiAnswer(target, None, period, today)
    view = await kpi_service.store_set_kpi(session, org, target, period, today, now=now)
    return KpiAnswer(target, view, period, today)
