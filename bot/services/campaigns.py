"""Campaigns: the ones a member sees, finding one by code or name, its numbers for the
viewer's part of it, creating one from chat.

A campaign is visible to whoever sees at least one of its stores; a staff member sees only
their stores' part (and the outputs of the people in their scope); none of it is "not found",
exactly like an unknown code.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import campaigns as maths
from bot.domain.campaigns import (
    CampaignInfo,
    CampaignTotals,
    CampaignView,
    Progress,
)
from bot.domain.search import Candidate, Match, search
from bot.services.scope import Scope
from storage.models import Campaign, Member, Store
from storage.repositories import campaigns as repo
from storage.repositories import catalog
from storage.repositories import kpi as kpi_repo
from storage.repositories.campaigns import CampaignFields

log = logging.getLogger(__name__)


def info_of(row: Campaign, stores: tuple[Store, ...] | list[Store]) -> CampaignInfo:
    """The campaign with its brands expanded to their (active) stores."""
    return _info_of(row, [(s.code, s.brand.code) for s in stores])


def _info_of(row: Campaign, store_brands: list[tuple[str, str]]) -> CampaignInfo:
    """``info_of`` from (store code, brand code) pairs, read from the ORM rows once for all
    campaigns: 500 stores times 20 campaigns made 10,000 attribute reads on the event loop."""
    brands = set(row.brand_codes)
    listed = set(row.store_codes)
    codes = tuple(code for code, brand in store_brands if code in listed or brand in brands)
    return CampaignInfo(
        id=row.id,
        code=row.code,
        name=row.name,
        start=row.start_date,
        end=row.end_date,
        store_codes=codes,
        budget=row.budget,
        targets=dict(row.targets),
        owners=tuple(row.owners),
        source=row.source,
    )


async def _infos(session: AsyncSession, rows: list[Campaign]) -> list[CampaignInfo]:
    if not rows:
        return []
    store_brands = await catalog.active_store_brand_codes(session)
    return [_info_of(row, store_brands) for row in rows]


def _visible(info: CampaignInfo, scope: Scope) -> bool:
    return not scope.store_codes.isdisjoint(info.store_codes)


@dataclass(frozen=True)
class Listed:
    info: CampaignInfo
    progress: Progress | None  # on the main target, for the viewer's part


async def current_and_coming(session: AsyncSession, scope: Scope, today: date) -> list[Listed]:
    """Campaigns running or still to come that the member sees, with their progress."""
    infos = await _infos(session, await repo.list_active(session, ending_from=today))
    listed = []
    for info in infos:
        if not _visible(info, scope):
            continue
        metric = info.main_metric
        shown = None
        if metric is not None and info.status(today) == "running":
            totals = await campaign_totals(session, info, scope, today)
            shown = maths.progress(info, totals.totals, metric, today)
        listed.append(Listed(info, shown))
    return listed


async def find(session: AsyncSession, scope: Scope, text: str) -> list[tuple[Match, CampaignInfo]]:
    """The campaigns the text names (code or name, without accents, typos forgiven) among
    those the member sees; past ones included."""
    rows = await repo.list_active(session)
    infos = [i for i in await _infos(session, rows) if _visible(i, scope)]
    by_id = {info.id: info for info in infos}
    candidates = (Candidate("campaign", i.id, i.code, i.name) for i in infos)
    return [(m, by_id[m.candidate.id]) for m in search(text, candidates)]


async def get_visible(session: AsyncSession, scope: Scope, campaign_id: int) -> CampaignInfo | None:
    row = await repo.get(session, campaign_id)
    if row is None or not row.active:
        return None
    (info,) = await _infos(session, [row])
    return info if _visible(info, scope) else None


async def campaign_totals(
    session: AsyncSession, info: CampaignInfo, scope: Scope | None, today: date
) -> CampaignTotals:
    """What counts toward the campaign up to ``today``, in the part ``scope`` sees (None:
    all of it). Summed in SQL per store and per day: a few thousand rows even for 500 stores."""
    covered = set(info.store_codes)
    stores = [
        s for s in (scope.stores if scope else await catalog.list_stores(session))
        if s.code in covered
    ]  # fmt: skip
    codes = {kpi_repo.store_key(s.id): s.code for s in stores}
    end = min(info.end, today)
    per_subject = await kpi_repo.metric_totals(session, codes, info.start, end)
    per_day = await kpi_repo.daily_totals(session, codes, info.start, end)
    by_member = await repo.tagged_by_member(session, info.id)
    tagged: dict[str, float] = {}
    for member_id, outputs in by_member.items():
        if scope is not None and not scope.sees_member(member_id):
            continue
        for metric, value in outputs.items():
            tagged[metric] = tagged.get(metric, 0.0) + value
    by_store = {codes[key]: values for key, values in per_subject.items()}
    return maths.totals_of_sums(by_store, per_day, tagged)


async def campaign_view(
    session: AsyncSession, info: CampaignInfo, scope: Scope | None, today: date
) -> CampaignView:
    totals = await campaign_totals(session, info, scope, today)
    keys = sorted(info.targets, key=lambda k: (k != info.main_metric, k))
    shown = tuple(maths.progress(info, totals.totals, key, today) for key in keys)
    visible = scope.stores if scope else tuple(await catalog.list_stores(session))
    names = {s.code: s.name for s in visible if s.code in set(info.store_codes)}
    partial = len(names) < len(info.store_codes)
    return CampaignView(
        info, totals, shown, maths.spend(info, totals.totals, today), today, partial, names
    )


async def code_taken(session: AsyncSession, code: str) -> bool:
    return await repo.get_by_code(session, code) is not None


async def running_on(session: AsyncSession, day: date) -> list[CampaignInfo]:
    return await _infos(session, await repo.running_on(session, day))


async def create(
    session: AsyncSession, fields: CampaignFields, member: Member, now: datetime
) -> Campaign:
    """A campaign created in chat; its code must be free (checked again here)."""
    if await code_taken(session, fields.code):
        raise ValueError(f"campaign code {fields.code!r} is taken")
    row, _ = await repo.upsert(session, fields, source="chat", now=now, created_by_id=member.id)
    return row


async def tags_offered(
    session: AsyncSession, member_id: int | None, day: date
) -> list[CampaignInfo]:
    """The campaigns a person's output of ``day`` may be tagged to: every campaign running that
    day (person-level departments work for every brand); none for a store's report."""
    if member_id is None:
        return []
    return await running_on(session, day)


async def report_tag(session: AsyncSession, report_id: int) -> int | None:
    """The campaign a saved report is tagged to."""
    return await repo.report_campaign(session, report_id)


async def ended_between(session: AsyncSession, first: date, last: date) -> list[CampaignInfo]:
    return await _infos(session, await repo.ended_between(session, first, last))


async def owner_members(session: AsyncSession, owners: tuple[str, ...]) -> list[Member]:
    """The members behind "@username" and Telegram id owners; one who has not joined is
    skipped (and logged)."""
    names = [o for o in owners if o.startswith("@")]
    ids = [int(o) for o in owners if o.isdigit()]
    by_name = await repo.members_by_usernames(session, names)
    found = list(by_name.values()) + await repo.members_by_telegram_ids(session, ids)
    if len(found) < len(owners):
        log.info("campaign owners not found owners=%s found=%s", owners, len(found))
    return found


async def by_code(session: AsyncSession, code: str) -> CampaignInfo | None:
    row = await repo.get_by_code(session, code)
    if row is None or not row.active:
        return None
    (info,) = await _infos(session, [row])
    return info
