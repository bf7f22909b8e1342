"""/start: registration through an invite deep link, or a polite explanation for strangers."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message

from bot.i18n import Translator
from bot.menu import set_member_menu
from bot.services.onboarding import NewMember, OnboardingError, redeem_invite
from bot.views import invites as views
from handlers.context import Ctx

log = logging.getLogger(__name__)


async def start(message: Message, command: CommandObject, ctx: Ctx) -> None:
    user = message.from_user
    if user is None:
        return
    t, member = ctx.t, ctx.member_or_none
    token = (command.args or "").strip()
    if member is not None:
        key = "start.already_member" if token else "start.welcome_back"
        await message.answer(views.greeting_text(key, member, t))
        return
    if not token:
        await message.answer(t("start.no_invite", telegram_id=user.id))
        return
    person = NewMember(
        telegram_id=user.id,
        full_name=user.full_name,
        username=user.username,
        # A stranger's translator already speaks their Telegram language (or the default).
        locale=t.locale,
    )
    try:
        new_member = await redeem_invite(ctx.session, token, person, now=ctx.now())
    except OnboardingError as refusal:
        log.info("invite refused user=%s reason=%s", user.id, refusal.key)
        await message.answer(views.join_refusal_text(refusal.key, refusal.params, t))
        return
    await ctx.save_before_announcing()  # registered for sure before we say so
    log.info("member registered member_id=%s role=%s", new_member.id, new_member.role)
    member_t = Translator(new_member.locale)
    await message.answer(views.greeting_text("start.registered", new_member, member_t))
    await set_member_menu(ctx.bot, new_member)


def create_router() -> Router:
    router = Router(name="start")
    router.message.filter(F.chat.type == "private")
    router.message.register(start, CommandStart())
    return router
