"""Notices the delivery itself raises: a member blocked the bot, so their manager is told once."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.payloads import message_payload
from bot.domain.outbox import Priority
from bot.i18n import Translator
from bot.views.safe import user_text
from storage.repositories import outbox
from storage.repositories.members import get_member_by_telegram_id, managers_or_admins

log = logging.getLogger(__name__)


async def queue_unreachable_notice(session: AsyncSession, telegram_id: int, now: datetime) -> int:
    """Queue "X blocked the bot" to X's managers, once per member and day; rows queued."""
    member = await get_member_by_telegram_id(session, telegram_id)
    if member is None:
        return 0
    queued = 0
    for manager in await managers_or_admins(session, member.id, member.department_id):
        t = Translator(manager.locale)
        text = t("delivery.unreachable", name=user_text(member.full_name))
        if await outbox.enqueue(
            session,
            dedupe_key=f"unreachable:{member.id}:{now.date().isoformat()}:{manager.id}",
            chat_id=manager.telegram_id,
            kind="unreachable",
            payload=message_payload(text),
            priority=Priority.NOTICE,
            now=now,
        ):
            queued += 1
    log.info("member %s unreachable: %s manager notice(s) queued", member.id, queued)
    return queued
