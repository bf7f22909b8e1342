"""Turning an outbox payload into Bot API calls.

Each payload names its ``method``; ``SENDERS`` maps that name to a coroutine doing the call.
Build payloads with ``message_payload``, ``photo_payload`` and ``document_payload``: files travel
inside the outbox row as base64, so a queued chart or spreadsheet survives a restart.

``thread_id`` sends to a forum topic of a group (``message_thread_id``); every call made for the
payload goes there. ``with_note`` adds what the offline summary says about the message if it
goes stale. A text over Telegram's 4096 characters (after entity parsing) is not refused: the
sender makes one call per part from ``calls_of`` (split at line boundaries, formatting kept
balanced), and a caption over 1024 goes out shortened with the rest in follow-up messages.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiogram import Bot
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup

from bot.charts import run as charts
from bot.charts.codec import chart_from_json
from bot.domain.text_split import split_caption, split_message

log = logging.getLogger(__name__)


class PayloadError(ValueError):
    """The payload cannot be sent as written; retrying will not help."""


SendFunction = Callable[[Bot, int, Mapping[str, Any], int | None], Awaitable[object]]
THREAD = "message_thread_id"


def _thread(payload: Mapping[str, Any]) -> int | None:
    thread = payload.get(THREAD)
    if thread is None:
        return None
    if isinstance(thread, bool) or not isinstance(thread, int) or thread < 1:
        raise PayloadError(f"{THREAD} must be a positive integer, not {thread!r}")
    return thread


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
        message_thread_id=_thread(payload),
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
    photo: BufferedInputFile | str
    if "chart" in payload:  # queued as data: drawn now, or the caption goes alone as text
        png = await _draw(payload)
        if png is None:
            return await _send_message(bot, chat_id, _as_text(payload), timeout)
        photo = BufferedInputFile(png, filename=str(payload.get("filename") or "chart.png"))
    else:
        photo = _file(payload, "send_photo")
    return await bot.send_photo(
        chat_id,
        photo,
        message_thread_id=_thread(payload),
        caption=_caption(payload),
        parse_mode=payload.get("parse_mode", "HTML"),
        reply_markup=_reply_markup(payload),
        request_timeout=timeout,
    )


async def _draw(payload: Mapping[str, Any]) -> bytes | None:
    try:
        kind, data = chart_from_json(payload["chart"])
    except ValueError as exc:
        raise PayloadError(f"send_photo: {exc}") from None
    try:
        return await charts.render(kind, data)
    except Exception:
        log.exception("queued %s chart could not be drawn; the caption goes as text", kind)
        return None


def _as_text(payload: Mapping[str, Any]) -> dict[str, Any]:
    text = {
        "method": "send_message",
        "text": _caption(payload) or "…",
        "parse_mode": payload.get("parse_mode", "HTML"),
        "reply_markup": payload.get("reply_markup"),
    }
    return _in_thread(text, payload.get(THREAD))


async def _send_document(
    bot: Bot, chat_id: int, payload: Mapping[str, Any], timeout: int | None
) -> object:
    return await bot.send_document(
        chat_id,
        _file(payload, "send_document"),
        message_thread_id=_thread(payload),
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


def _in_thread(payload: dict[str, Any], thread_id: int | None) -> dict[str, Any]:
    if thread_id is not None:
        payload[THREAD] = thread_id
    return payload


def message_payload(
    text: str, reply_markup: Markup = None, *, thread_id: int | None = None
) -> dict[str, Any]:
    """An HTML text message (a text over 4096 characters goes out as several messages)."""
    payload = {
        "method": "send_message",
        "text": text,
        "parse_mode": "HTML",
        "reply_markup": _markup_json(reply_markup),
    }
    return _in_thread(payload, thread_id)


def _file_payload(
    method: str,
    data: bytes,
    filename: str,
    caption: str | None,
    reply_markup: Markup,
    thread_id: int | None,
) -> dict[str, Any]:
    payload = {
        "method": method,
        "data_b64": base64.b64encode(data).decode("ascii"),
        "filename": filename,
        "caption": caption,
        "parse_mode": "HTML",
        "reply_markup": _markup_json(reply_markup),
    }
    return _in_thread(payload, thread_id)


def photo_payload(
    png: bytes,
    caption: str | None = None,
    reply_markup: Markup = None,
    filename: str = "chart.png",
    *,
    thread_id: int | None = None,
) -> dict[str, Any]:
    """A photo with an HTML caption (over 1024 characters, the rest follows as messages)."""
    return _file_payload("send_photo", png, filename, caption, reply_markup, thread_id)


def chart_photo_payload(
    chart: dict[str, Any],
    caption: str | None = None,
    reply_markup: Markup = None,
    filename: str = "chart.png",
    *,
    thread_id: int | None = None,
) -> dict[str, Any]:
    """A photo whose chart is drawn when it is sent (``bot.charts.codec.chart_to_json``), so
    the transaction that queues it does not wait for the chart worker."""
    payload = {
        "method": "send_photo",
        "chart": chart,
        "filename": filename,
        "caption": caption,
        "parse_mode": "HTML",
        "reply_markup": _markup_json(reply_markup),
    }
    return _in_thread(payload, thread_id)


def document_payload(
    data: bytes,
    filename: str,
    caption: str | None = None,
    reply_markup: Markup = None,
    *,
    thread_id: int | None = None,
) -> dict[str, Any]:
    """A file (e.g. an .xlsx digest) with an optional HTML caption."""
    return _file_payload("send_document", data, filename, caption, reply_markup, thread_id)


def file_id_payload(
    method: str,
    file_id: str,
    caption: str | None = None,
    reply_markup: Markup = None,
    *,
    thread_id: int | None = None,
) -> dict[str, Any]:
    """A photo or document already on Telegram, resent by its ``file_id`` (``send_photo`` or
    ``send_document``)."""
    if method not in ("send_photo", "send_document"):
        raise PayloadError(f"file_id payloads are send_photo or send_document, not {method}")
    payload = {
        "method": method,
        "file_id": file_id,
        "caption": caption,
        "parse_mode": "HTML",
        "reply_markup": _markup_json(reply_markup),
    }
    return _in_thread(payload, thread_id)


def with_note(payload: dict[str, Any], note: str, locale: str) -> dict[str, Any]:
    """The payload with one line (HTML, in ``locale``) naming it in the "while the bot was
    offline" summary, should it go stale before it is sent."""
    return {**payload, "note": note, "locale": locale}


def calls_of(payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The calls that deliver the payload, in order: one, or several when its text is over
    4096 characters or its caption over 1024 (a shortened caption, then the rest as
    messages). The keyboard goes with the last call, below everything."""
    method = payload.get("method", "send_message")
    parse_html = str(payload.get("parse_mode") or "").lower() == "html"
    first: dict[str, Any] = dict(payload)
    if method == "send_message":
        text = payload.get("text")
        if not isinstance(text, str) or not text:
            return [first]  # refused as it is by _send_message
        chunks = split_message(text, parse_html=parse_html)
        first["text"], rest = chunks[0], chunks[1:]
    else:
        caption = payload.get("caption")
        if not isinstance(caption, str) or not caption:
            return [first]
        first["caption"], more = split_caption(caption, parse_html=parse_html)
        rest = [chunk for text in more for chunk in split_message(text, parse_html=parse_html)]
    if not rest:
        return [first]
    markup = first.pop("reply_markup", None)
    follow_ups = [
        _in_thread(
            {"method": "send_message", "text": text, "parse_mode": payload.get("parse_mode")},
            payload.get(THREAD),
        )
        for text in rest
    ]
    follow_ups[-1]["reply_markup"] = markup
    return [first, *follow_ups]


async def deliver(
    bot: Bot, chat_id: int, payload: Mapping[str, Any], timeout: int | None = None
) -> object:
    """Make the Bot API call the payload describes (raises ``PayloadError`` if it is invalid)."""
    method = payload.get("method", "send_message")
    send = SENDERS.get(method) if isinstance(method, str) else None
    if send is None:
        raise PayloadError(f"unknown outbox method {method!r}")
    return await send(bot, chat_id, payload, timeout)
