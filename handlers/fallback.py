"""Last router: anything nobody else handled. Strangers learn nothing but how to join.

A member's unknown command (a bare "/" included) is answered with one that exists, in or out
of a form; a known command their role may not use, like any other text, is "not understood".
"""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot.menu import known_commands, split_command
from bot.roles import commands_for
from bot.views.forms import unknown_command_text
from handlers.context import Ctx

log = logging.getLogger(__name__)


async def unhandled_message(message: Message, ctx: Ctx) -> None:
    if ctx.member_or_none is None:
        user_id = message.from_user.id if message.from_user else None
        log.info("refused non-member user=%s chat=%s", user_id, message.chat.id)
        if message.chat.type == "private":
            await message.answer(ctx.t("guest.refused", telegram_id=user_id))
        return
    if message.chat.type != "private":
        return
    command = split_command(message.text)
    if command is not None and command[0] not in known_commands():
        example = "/" + next(c for c in commands_for(ctx.member.role) if c != "help")
        await message.answer(unknown_command_text(message.text or "/", example, ctx.t))
        return
    await message.answer(ctx.t("fallback.not_understood"))


async def unhandled_callback(query: CallbackQuery, ctx: Ctx) -> None:
    text = ctx.t("callback.stale") if ctx.member_or_none else ctx.t("guest.refused_short")
    await query.answer(text, show_alert=False)


def create_router() -> Router:
    router = Router(name="fallback")
    router.message.register(unhandled_message)
    router.callback_query.register(unhandled_callback)
    return router
