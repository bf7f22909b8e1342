"""The closing summary of a campaign, once, to its owners and the board; the campaign alerts.

Daily with the digest: every campaign whose last day's numbers are in (its end on or before the
day the numbers run to, within the last ``CATCH_UP_DAYS``, so a missed run still sends it) gets
its summary queued per recipient with a dedupe key per campaign and chat: running the job
again, or on the next days, queues nothing new.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.payloads import message_payload
from bot.domain.outbox import Priority
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.services import campaigns as service
from bot.services.campaign_alerts import evaluate_campaign_alerts
from bot.services.kpi import as_of
from bot.views import campaigns as views
from jobs.digest_jobs import Audience, audience
from storage.repositories import outbox

log = logging.getLogger(__name__)
CATCH_UP_DAYS = 7


async def closing(session: AsyncSession, org: OrgConfig, period: str, at: datetime) -> str | None:
    day = as_of(org, at)
    ended = await service.ended_between(session, day - timedelta(days=CATCH_UP_DAYS), day)
    board = await audience(session, org)
    queued = 0
    for info in ended:
        view = await service.campaign_view(session, info, None, info.end)
        owners = [
            Audience(m.telegram_id, m.locale)
            for m in await service.owner_members(session, info.owners)
            if m.reachable
        ]
        seen: set[int] = set()
        for reader in [*owners, *board]:
            if reader.chat_id in seen:
                continue
            seen.add(reader.chat_id)
            t = Translator(reader.locale)
            text = views.closing_text(org, info, view.progress, view.spend, view.totals.tagged, t)
            queued += await outbox.enqueue(
                session,
                dedupe_key=f"campaign_closing:{info.code}:{info.end.isoformat()}:{reader.chat_id}",
                chat_id=reader.chat_id,
                kind="campaign_closing",
                payload=message_payload(text, thread_id=reader.topic),
                priority=Priority.DIGEST,
                now=at,
            )
    log.info("campaign closing ended=%s queued=%s", len(ended), queued)
    return f"{len(ended)} ended, {queued} queued"


async def campaign_alerts(
    session: AsyncSession, org: OrgConfig, period: str, at: datetime
) -> str | None:
    """The org file's pacing rules scoped to a campaign, on the numbers up to the latest day:
    states, buttons and escalation like a store's alerts (``bot.services.campaign_alerts``)."""
    run = await evaluate_campaign_alerts(session, org, as_of(org, at), at)
    return run.text
