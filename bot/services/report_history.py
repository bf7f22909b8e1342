"""/history: every revision of one report subject's numbers, within what the member may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.report_subject import Subject
from bot.domain.revisions import RevisionEntry
from bot.org.schema import OrgConfig
from bot.services.reporting import form_of, member_subject, store_subject, visible_store
from storage.models import Member
from storage.repositories import reports


@dataclass(frozen=True)
class History:
    label: str  # the subject, as the title of the list
    entries: list[tuple[date, RevisionEntry]]  # newest first
    metric_order: tuple[str, ...]  # the form's order of the metrics


async def _history(
    session: AsyncSession,
    subject: Subject,
    form_code: str,
    order: tuple[str, ...],
    day: date | None,
) -> History:
    entries = await reports.revision_history(session, subject.key, form_code, day)
    return History(subject.label, entries, order)


async def own_history(
    session: AsyncSession, org: OrgConfig, member: Member, day: date | None
) -> History | None:
    """The member's own output; None when their department reports per store (or not at all)."""
    form = form_of(org, member)
    if form is None or form.per != "person":
        return None
    return await _history(session, member_subject(member), form.code, form.metric_keys, day)


async def store_history(
    session: AsyncSession, org: OrgConfig, member: Member, code: str, day: date | None
) -> History | None:
    """A store by code; None when the member does not see it or nothing reports it."""
    store = await visible_store(session, member, code)
    store_config = org.store(store.code) if store else None
    form = org.form_for_department(store_config.department) if store_config else None
    if store is None or form is None:
        return None
    return await _history(session, store_subject(store), form.code, form.metric_keys, day)
