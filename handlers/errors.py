"""Errors never reach the user as a traceback: log with context, answer briefly."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent

from bot.i18n import Translator, normalise_locale

log = logging.getLogger(__name__)


async def on_error(event: ErrorEvent) -> bool:
    update = event.update
    user = None
    if update.message:
        user = update.message.from_user
    elif update.callback_query:
        user = update.callback_query.from_user
    log.error(
        "handler failed update_id=%s user=%s type=%s",
        update.update_id,
        user.id if user else None,
        update.event_type,
        exc_info=event.exception,
    )
    t = Translator(normalise_locale(user.language_code if user else None))
    try:
        if update.message and update.message.chat.type == "private":
            await update.message.answer(t("error.internal"))
        elif update.callback_query:
            await update.callback_query.answer(t("error.internal"))
    except TelegramAPIError:
        log.warning("could not tell the user about the error update_id=%s", update.update_id)
    return True


def create_router() -> Router:
    router = Router(name="errors")
    router.error.register(on_error)
    return router
