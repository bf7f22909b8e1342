"""Recognition: the stores and people at or above the org's share of their pace, for the daily
digest and the weekly message to each department."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.kpi_results import Target, subject_ranking_value
from bot.domain.periods import Period
from bot.domain.recognition import Praise, praise
from bot.org.schema import OrgConfig
from bot.services.kpi import store_set_kpi
from bot.services.person_kpi import personal_kpis
from storage.models import Member, Store


async def store_paces(
    session: AsyncSession,
    org: OrgConfig,
    stores: Sequence[Store],
    period: Period,
    as_of: date,
    at: datetime,
) -> list[tuple[str, float | None]]:
    """Each store's pace on its primary metric (actual against the plan of its reported days)."""
    if not stores:
        return []
    target = Target("all", 0, "all", "", tuple(stores))
    view = await store_set_kpi(session, org, target, period, as_of, now=at)
    return [(s.label, subject_ranking_value(s, view.primary)) for s in view.report.subjects]


async def praise_of(
    session: AsyncSession,
    org: OrgConfig,
    stores: Iterable[tuple[str, float | None]],
    members: Sequence[Member],
    period: Period,
    as_of: date,
    at: datetime,
) -> Praise:
    """``stores`` (name, pace) and the ``members`` with personal targets, at or above the
    org's threshold."""
    people = await personal_kpis(session, org, members, period, as_of, now=at)
    names = {m.id: m.full_name for m in members}
    by_name = {names[member_id]: kpi for member_id, kpi in people.items()}
    return praise(stores, by_name, org.recognition.pace_at_least)
