"""Last router: anything nobody else handled. Strangers learn nothing but how to join."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from handlers.context import Ctx

log = logging.getLogger(__name__)


async def unhandled_message(message: Message, ctx: Ctx) -> None:
    if ctx.member_or_none is None:
        user_id = message.from_user.id if message.from_user else None
        log.info("refused non-member user=%s chat=%s", user_id, message.chat.id)
        if message.chat.type == "private":
            await message.answer(ctx.t("guest.refused", telegram_id=user_id))
        return
    if message.chat.type == "private":
        await message.answer(ctx.t("fallback.not_understood"))


async def unhandled_callback(query: CallbackQuery, ctx: Ctx) -> None:
    text = ctx.t("callback.stale") if ctx.member_or_none else ctx.t("guest.refused_short")
    await query.answer(text, show_alert=False)


def create_router() -> Router:
    router = Router(name="fallback")
    router.message.register(unhandled_message)
    router.callback_query.register(unhandled_callback)
    return router
