"""The weekly praise to each department: its stores and people at or above the org's share
of their pace over the week just ended, one message to each of its members (nothing when
nobody qualifies). Queued through the outbox, one dedupe key per week and member."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.payloads import message_payload
from bot.domain.outbox import Priority
from bot.domain.periods import week_period
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.services.recognition import praise_of, store_paces
from bot.views.recognition import weekly_praise_text
from storage.repositories import catalog, members, outbox


async def weekly_praise(session: AsyncSession, org: OrgConfig, period: str, at: datetime) -> str:
    last_day = at.astimezone(org.tz).date() - timedelta(days=1)
    week = week_period(last_day)
    threshold = org.recognition.pace_at_least
    queued = praised = 0
    for department in await catalog.list_departments(session):
        stores = list(await catalog.list_stores(session, department_id=department.id))
        people = list(await members.list_members(session, department_id=department.id))
        paces = await store_paces(session, org, stores, week, last_day, at)
        found = await praise_of(session, org, paces, people, week, last_day, at)
        if found.empty:
            continue
        praised += 1
        for member in people:
            if not member.reachable:
                continue
            t = Translator(member.locale)
            name = department.name_en if t.locale == "en" else department.name_vi
            queued += await outbox.enqueue(
                session,
                dedupe_key=f"praise:{period}:d{department.id}:m{member.id}",
                chat_id=member.telegram_id,
                kind="praise",
                payload=message_payload(weekly_praise_text(found, name, threshold, t)),
                priority=Priority.DIGEST,
                now=at,
            )
    return f"praise for {praised} departments: {queued} message(s)"
