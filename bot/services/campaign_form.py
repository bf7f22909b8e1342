"""The answers of the `/campaign new` form, read and checked one by one, and the campaign it
creates. Every refusal is a ``CampaignInputError`` whose key the view turns into a message
with a valid example; nothing already answered is touched."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import campaign_input as read
from bot.domain.campaign_input import CampaignInputError
from bot.domain.metric_lookup import alias_index
from bot.domain.text_norm import normalize
from bot.org.fields import Unit
from bot.org.schema import OrgConfig
from bot.org.sections import normalize_alias
from bot.services.campaigns import code_taken, create
from bot.services.scope import Scope
from storage.models import Campaign, Member
from storage.repositories import campaigns as repo
from storage.repositories import catalog
from storage.repositories.campaigns import CampaignFields

UNKNOWN_COVER = "unknown_cover"
BRAND_OUTSIDE = "brand_outside"
CODE_TAKEN = "code_taken"
BAD_NAME = "bad_name"
UNKNOWN_OWNER = "unknown_owner"


def metric_reader(org: OrgConfig) -> Any:
    """A typed metric name (key, alias or label, without accents) -> (key, unit)."""
    index = alias_index(org)
    for metric in org.base_metrics:
        for label in (metric.label.vi, metric.label.en):
            index.setdefault(normalize_alias(normalize(label)), metric.key)

    def metric_of(name: str) -> tuple[str, Unit] | None:
        key = index.get(normalize_alias(name)) or index.get(normalize_alias(normalize(name)))
        metric = org.metric(key) if key else None
        return (metric.key, metric.unit) if metric else None

    return metric_of


def metric_keys(org: OrgConfig) -> str:
    return ", ".join(m.key for m in org.base_metrics)


def cover_choices(scope: Scope) -> str:
    """Brands and stores a manager may pick, for the question."""
    brands = sorted({s.brand.code for s in scope.stores})
    return ", ".join([*brands, *(s.code for s in scope.stores)])


async def _read_cover(session: AsyncSession, scope: Scope, text: str) -> dict[str, list[str]]:
    """Store and brand codes (or names, without accents) within the member's scope; a brand only
    when every one of its active stores is in scope."""
    stores = {normalize(s.code): s for s in scope.stores}
    names = {normalize(s.name): s for s in scope.stores}
    all_stores = await catalog.list_stores(session)
    brands = {normalize(s.brand.code): s.brand for s in all_stores}
    picked: dict[str, list[str]] = {"stores": [], "brands": []}
    items = [item for item in text.replace(";", ",").split(",") if item.strip()]
    if not items:
        raise CampaignInputError(UNKNOWN_COVER, name=text.strip())
    for item in items:
        folded = normalize(item)
        store = stores.get(folded) or names.get(folded)
        if store is not None:
            if store.code not in picked["stores"]:
                picked["stores"].append(store.code)
            continue
        brand = brands.get(folded)
        if brand is None:
            raise CampaignInputError(UNKNOWN_COVER, name=item.strip())
        own = {s.id for s in all_stores if s.brand_id == brand.id}
        if not own <= scope.store_ids:
            raise CampaignInputError(BRAND_OUTSIDE, name=brand.code)
        if brand.code not in picked["brands"]:
            picked["brands"].append(brand.code)
    return picked


async def _read_owners(session: AsyncSession, text: str) -> list[str]:
    names = [name.lstrip("@") for name in read.split_list(text)]
    found = await repo.members_by_usernames(session, names)
    for name in names:
        if name.lower() not in found:
            raise CampaignInputError(UNKNOWN_OWNER, name=name)
    return [f"@{found[name.lower()].username}" for name in names]


async def read_answer(
    session: AsyncSession, org: OrgConfig, scope: Scope, key: str, text: str, today: date
) -> Any:
    """The JSON value the draft keeps for question ``key``; raises ``CampaignInputError``."""
    if key == "code":
        code = read.read_code(text)
        if await code_taken(session, code):
            raise CampaignInputError(CODE_TAKEN, code=code)
        return code
    if key == "name":
        name = " ".join(text.split())
        if not 1 <= len(name) <= 200:
            raise CampaignInputError(BAD_NAME)
        return name
    if key == "dates":
        first, last = read.read_dates(text, today)
        return [first.isoformat(), last.isoformat()]
    if key == "cover":
        return await _read_cover(session, scope, text)
    if key == "budget":
        return read.read_amount(text, "money")
    if key == "targets":
        return read.read_targets(text, metric_reader(org))
    if key == "owners":
        return await _read_owners(session, text)
    raise LookupError(f"no campaign question {key!r}")


def fields_of(answers: Mapping[str, Any]) -> CampaignFields:
    start, end = (date.fromisoformat(day) for day in answers["dates"])
    cover = answers["cover"]
    return CampaignFields(
        code=answers["code"],
        name=answers["name"],
        start=start,
        end=end,
        store_codes=tuple(cover.get("stores", ())),
        brand_codes=tuple(cover.get("brands", ())),
        budget=answers.get("budget"),
        targets={key: float(value) for key, value in answers["targets"].items()},
        owners=tuple(answers.get("owners") or ()),
    )


async def create_from_answers(
    session: AsyncSession, scope: Scope, answers: Mapping[str, Any], member: Member, now: datetime
) -> Campaign:
    """Raises ``CampaignInputError`` when the code was taken in the meantime, or a store or
    brand answered earlier is no longer within the member's scope (their stores changed)."""
    fields = fields_of(answers)
    if await code_taken(session, fields.code):
        raise CampaignInputError(CODE_TAKEN, code=fields.code)
    await _read_cover(session, scope, ", ".join([*fields.store_codes, *fields.brand_codes]))
    return await create(session, fields, member, now)
