"""Last router: anything nobody else handled. Strangers learn nothing but how to join."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot.i18n import Translator
from storage.models import Member

log = logging.getLogger(__name__)


async def unhandled_message(message: Message, member: Member | None, t: Translator) -> None:
    if member is None:
        user_id = message.from_user.id if message.from_user else None
        log.info("refused non-member user=%s chat=%s", user_id, message.chat.id)
        if message.chat.type == "private":
            await message.answer(t("guest.refused", telegram_id=user_id))
        return
    if message.chat.type == "private":
        await message.answer(t("fallback.not_understood"))


async def unhandled_callback(query: CallbackQuery, member: Member | None, t: Translator) -> None:
    await query.answer(
        t("callback.stale") if member else t("guest.refused_short"), show_alert=False
    )


def create_router() -> Router:
    router = Router(name="fallback")
    router.message.register(unhandled_message)
    router.callback_query.register(unhandled_callback)
    return router
