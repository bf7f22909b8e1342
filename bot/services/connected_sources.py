"""Discipline for connected stores (the org file's ``sources.connected``).

A connected store's numbers arrive by themselves (file imports, the HTTP API) by a time of day.
Its owner owes nothing while the data may still come; once it is due and has not arrived, the
reminder says that the automatic data is missing, and ``/status`` tells where each store's
numbers came from: the source of the latest revision of that day's report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, time
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.discipline import due_day
from bot.domain.missing_reports import MissingReport
from bot.org.connectors import connected_stores
from bot.org.schema import OrgConfig
from storage.repositories import sources as source_reads

SourceKind = Literal["chat", "import", "api"]


def expected_times(org: OrgConfig) -> dict[str, time]:
    """store code -> the time of day its automatic data is expected by."""
    return {code: at for code, (_, at) in connected_stores(org).items()}


def expected_at(org: OrgConfig, business_date: date, at: time) -> datetime:
    """The instant data of ``business_date`` expected by ``at`` is due (org timezone)."""
    return datetime.combine(due_day(business_date, org.report.covers), at, tzinfo=org.tz)


def due_by(
    org: OrgConfig, missing: Sequence[MissingReport], business_date: date, now: datetime
) -> list[MissingReport]:
    """``missing`` without the connected stores whose data is not due yet at ``now`` (a member
    left with nothing owes nothing)."""
    expected = expected_times(org)
    result = []
    for item in missing:
        if item.per != "store":
            result.append(item)
            continue
        stores = tuple(
            store
            for store in item.stores
            if store.code not in expected
            or expected_at(org, business_date, expected[store.code]) <= now
        )
        if stores:
            result.append(replace(item, stores=stores))
    return result


def source_kind(source: str | None) -> SourceKind | None:
    """``chat``, ``import:<format>`` or ``api:<token>`` -> chat | import | api."""
    if source is None:
        return None
    head = source.split(":", 1)[0]
    if head == "import":
        return "import"
    if head == "api":
        return "api"
    return "chat"


async def latest_sources(
    session: AsyncSession, business_date: date, subject_keys: Sequence[str]
) -> Mapping[str, SourceKind]:
    """subject key -> where the latest revision of its ``business_date`` report came from."""
    found = await source_reads.latest_revision_sources(session, business_date, subject_keys)
    return {key: kind for key, source in found.items() if (kind := source_kind(source))}
