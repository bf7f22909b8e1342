"""Notices the delivery itself raises: a member blocked the bot, so their manager is told once."""

from __future__ import annotations

import html
import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.payloads import message_payload
from bot.i18n import Translator
from bot.roles import Role
from storage.models import Member
from storage.repositories import outbox
from storage.repositories.members import get_member_by_telegram_id

log = logging.getLogger(__name__)
NOTICE_PRIORITY = 30


async def _managers_of(session: AsyncSession, member: Member) -> list[Member]:
    """The member's department managers; admins when the department has none."""
    query = select(Member).where(
        Member.active.is_(True), Member.reachable.is_(True), Member.id != member.id
    )
    if member.department_id is not None:
        managers = (
            await session.scalars(
                query.where(
                    Member.role == Role.MANAGER.value,
                    Member.department_id == member.department_id,
                )
            )
        ).all()
        if managers:
            return list(managers)
    return list((await session.scalars(query.where(Member.role == Role.ADMIN.value))).all())


async def queue_unreachable_notice(session: AsyncSession, telegram_id: int, now: datetime) -> int:
    """Queue "X blocked the bot" to X's managers, once per member and day; rows queued."""
    member = await get_member_by_telegram_id(session, telegram_id)
    if member is None:
        return 0
    queued = 0
    for manager in await _managers_of(session, member):
        t = Translator(manager.locale)
        text = t("delivery.unreachable", name=html.escape(member.full_name))
        if await outbox.enqueue(
            session,
            dedupe_key=f"unreachable:{member.id}:{now.date().isoformat()}:{manager.id}",
            chat_id=manager.telegram_id,
            kind="unreachable",
            payload=message_payload(text),
            priority=NOTICE_PRIORITY,
            now=now,
        ):
            queued += 1
    log.info("member %s unreachable: %s manager notice(s) queued", member.id, queued)
    return queued
