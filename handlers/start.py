"""/start: registration through an invite deep link, or a polite explanation for strangers."""

from __future__ import annotations

import logging
from html import escape

from aiogram import Bot, F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.i18n import Translator, normalise_locale
from bot.menu import set_member_menu
from bot.services.onboarding import NewMember, OnboardingError, redeem_invite
from bot.views.common import member_title
from storage.models import Member

log = logging.getLogger(__name__)


async def start(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    member: Member | None,
    t: Translator,
    clock: Clock,
    bot: Bot,
    default_locale: str,
) -> None:
    user = message.from_user
    if user is None:
        return
    token = (command.args or "").strip()
    if member is not None:
        key = "start.already_member" if token else "start.welcome_back"
        await message.answer(t(key, name=escape(member.full_name), title=member_title(member, t)))
        return
    if not token:
        await message.answer(t("start.no_invite", telegram_id=user.id))
        return
    person = NewMember(
        telegram_id=user.id,
        full_name=user.full_name,
        username=user.username,
        locale=normalise_locale(user.language_code, default_locale),
    )
    try:
        new_member = await redeem_invite(session, token, person, now=clock.now())
    except OnboardingError as refusal:
        log.info("invite refused user=%s reason=%s", user.id, refusal.key)
        await message.answer(t(refusal.key, **refusal.params) + "\n\n" + t("start.how_to_join"))
        return
    await session.commit()  # registered for sure before we say so
    log.info("member registered member_id=%s role=%s", new_member.id, new_member.role)
    member_t = Translator(new_member.locale)
    await message.answer(
        member_t(
            "start.registered",
            name=escape(new_member.full_name),
            title=member_title(new_member, member_t),
        )
    )
    await set_member_menu(bot, new_member)


def create_router() -> Router:
    router = Router(name="start")
    router.message.filter(F.chat.type == "private")
    router.message.register(start, CommandStart())
    return router
