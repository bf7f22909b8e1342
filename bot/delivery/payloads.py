"""Turning an outbox payload into one Bot API call.

Each payload names its ``method``; ``SENDERS`` maps that name to a coroutine doing the call.
Only ``send_message`` exists today; ``send_photo`` / ``send_document`` are added by writing one
function each and registering it (see ``bot.delivery.sender`` for the payload contract).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiogram import Bot
from aiogram.types import InlineKeyboardMarkup


class PayloadError(ValueError):
    """The payload cannot be sent as written; retrying will not help."""


SendFunction = Callable[[Bot, int, Mapping[str, Any], int | None], Awaitable[object]]


def _reply_markup(payload: Mapping[str, Any]) -> InlineKeyboardMarkup | None:
    markup = payload.get("reply_markup")
    if markup is None:
        return None
    try:
        return InlineKeyboardMarkup.model_validate(markup)
    except ValueError as exc:
        raise PayloadError(f"reply_markup is not an InlineKeyboardMarkup: {exc}") from None


async def _send_message(
    bot: Bot, chat_id: int, payload: Mapping[str, Any], timeout: int | None
) -> object:
    text = payload.get("text")
    if not isinstance(text, str) or not text:
        raise PayloadError("send_message needs a non-empty 'text'")
    return await bot.send_message(
        chat_id,
        text,
        parse_mode=payload.get("parse_mode", "HTML"),
        reply_markup=_reply_markup(payload),
        request_timeout=timeout,
    )


SENDERS: dict[str, SendFunction] = {"send_message": _send_message}


async def deliver(
    bot: Bot, chat_id: int, payload: Mapping[str, Any], timeout: int | None = None
) -> object:
    """Make the Bot API call the payload describes (raises ``PayloadError`` if it is invalid)."""
    method = payload.get("method", "send_message")
    send = SENDERS.get(method) if isinstance(method, str) else None
    if send is None:
        raise PayloadError(f"unknown outbox method {method!r}")
    return await send(bot, chat_id, payload, timeout)
