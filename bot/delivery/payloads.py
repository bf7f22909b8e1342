"""Turning an outbox payload into one Bot API call.

Each payload names its ``method``; ``SENDERS`` maps that name to a coroutine doing the call.
Build payloads with ``message_payload``, ``photo_payload`` and ``document_payload``: files travel
inside the outbox row as base64, so a queued chart or spreadsheet survives a restart.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiogram import Bot
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup


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


def _file(payload: Mapping[str, Any], method: str) -> BufferedInputFile | str:
    file_id = payload.get("file_id")
    if isinstance(file_id, str) and file_id:
        return file_id  # a file already on Telegram's servers (e.g. one a member sent us)
    data, name = payload.get("data_b64"), payload.get("filename")
    if not isinstance(data, str) or not isinstance(name, str) or not name:
        raise PayloadError(f"{method} needs 'data_b64' and 'filename'")
    try:
        return BufferedInputFile(base64.b64decode(data, validate=True), filename=name)
    except binascii.Error as exc:
        raise PayloadError(f"{method}: 'data_b64' is not base64: {exc}") from None


def _caption(payload: Mapping[str, Any]) -> str | None:
    caption = payload.get("caption")
    return caption if isinstance(caption, str) and caption else None


async def _send_photo(
    bot: Bot, chat_id: int, payload: Mapping[str, Any], timeout: int | None
) -> object:
    return await bot.send_photo(
        chat_id,
        _file(payload, "send_photo"),
        caption=_caption(payload),
        parse_mode=payload.get("parse_mode", "HTML"),
        reply_markup=_reply_markup(payload),
        request_timeout=timeout,
    )


async def _send_document(
    bot: Bot, chat_id: int, payload: Mapping[str, Any], timeout: int | None
) -> object:
    return await bot.send_document(
        chat_id,
        _file(payload, "send_document"),
        caption=_caption(payload),
        parse_mode=payload.get("parse_mode", "HTML"),
        reply_markup=_reply_markup(payload),
        request_timeout=timeout,
    )


SENDERS: dict[str, SendFunction] = {
    "send_message": _send_message,
    "send_photo": _send_photo,
    "send_document": _send_document,
}

Markup = Mapping[str, Any] | InlineKeyboardMarkup | None


def _markup_json(markup: Markup) -> dict[str, Any] | None:
    if markup is None:
        return None
    if isinstance(markup, InlineKeyboardMarkup):
        return markup.model_dump(mode="json", exclude_none=True)
    return dict(markup)


def message_payload(text: str, reply_markup: Markup = None) -> dict[str, Any]:
    """An HTML text message (at most 4096 characters: split long content before queueing)."""
    return {
        "method": "send_message",
        "text": text,
        "parse_mode": "HTML",
        "reply_markup": _markup_json(reply_markup),
    }


def _file_payload(
    method: str, data: bytes, filename: str, caption: str | None, reply_markup: Markup
) -> dict[str, Any]:
    return {
        "method": method,
        "data_b64": base64.b64encode(data).decode("ascii"),
        "filename": filename,
        "caption": caption,
        "parse_mode": "HTML",
        "reply_markup": _markup_json(reply_markup),
    }


def photo_payload(
    png: bytes, caption: str | None = None, reply_markup: Markup = None, filename: str = "chart.png"
) -> dict[str, Any]:
    """A photo with an HTML caption (at most 1024 characters)."""
    return _file_payload("send_photo", png, filename, caption, reply_markup)


def document_payload(
    data: bytes, filename: str, caption: str | None = None, reply_markup: Markup = None
) -> dict[str, Any]:
    """A file (e.g. an .xlsx digest) with an optional HTML caption."""
    return _file_payload("send_document", data, filename, caption, reply_markup)


def file_id_payload(
    method: str, file_id: str, caption: str | None = None, reply_markup: Markup = None
) -> dict[str, Any]:
    """A photo or document already on Telegram, resent by its ``file_id`` (``send_photo`` or
    ``send_document``)."""
    if method not in ("send_photo", "send_document"):
        raise PayloadError(f"file_id payloads are send_photo or send_document, not {method}")
    return {
        "method": method,
        "file_id": file_id,
        "caption": caption,
        "parse_mode": "HTML",
        "reply_markup": _markup_json(reply_markup),
    }


async def deliver(
    bot: Bot, chat_id: int, payload: Mapping[str, Any], timeout: int | None = None
) -> object:
    """Make the Bot API call the payload describes (raises ``PayloadError`` if it is invalid)."""
    method = payload.get("method", "send_message")
    send = SENDERS.get(method) if isinstance(method, str) else None
    if send is None:
        raise PayloadError(f"unknown outbox method {method!r}")
    return await send(bot, chat_id, payload, timeout)
