"""Direct replies that Telegram's text rules cannot turn into a lost answer.

``UpdateScope`` (an outer update middleware, inside the update's transaction) marks the update
being handled; ``ReplyGuard`` (a request middleware on the Bot's session) looks after the calls
made while one is handled:

* a text over 4096 characters after entity parsing goes out as several messages, split at line
  boundaries with the formatting balanced in each (``bot.domain.text_split``); a caption over
  1024 goes out shortened to whole lines, the rest in follow-up messages;
* a reply Telegram refuses (400) is sent again as plain text (tags stripped, entities decoded,
  no parse mode), and the refusal is logged once with the update id;
* a reply that cannot be delivered even so raises ``ReplyRefused``, which ``UpdateScope`` logs
  and absorbs: what the handler accepted and saved before the reply is committed, not rolled back.

Calls made outside an update (the outbox sender, jobs, start-up) pass through untouched: the
sender keeps its own retry and 403 handling.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any, cast

from aiogram import BaseMiddleware, Bot
from aiogram.client.default import Default
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageCaption,
    EditMessageReplyMarkup,
    EditMessageText,
    SendChatAction,
    SendDocument,
    SendMessage,
    SendPhoto,
)
from aiogram.methods.base import Response, TelegramMethod, TelegramType
from aiogram.types import TelegramObject

from bot.domain.text_split import (
    CAPTION_LIMIT,
    MESSAGE_LIMIT,
    plain_text,
    split_caption,
    split_message,
)

log = logging.getLogger(__name__)

_UPDATE_ID: ContextVar[int | None] = ContextVar("opsbot_update_id", default=None)
ANSWER_LIMIT = 200  # a callback answer (toast) cannot be split
# Refusals that are not about the text: sending it again as plain text cannot help (and after
# "not modified" it would change a message that was meant to stay as it is).
_NOT_ABOUT_TEXT = (
    "not modified",
    "message to edit not found",
    "message can't be edited",
    "message to delete not found",
    "chat not found",
    "query is too old",
    "query id is invalid",
)
_REPLIES = (
    SendMessage,
    EditMessageText,
    SendPhoto,
    SendDocument,
    EditMessageCaption,
    EditMessageReplyMarkup,
    AnswerCallbackQuery,
    DeleteMessage,
    SendChatAction,
)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class ReplyRefused(TelegramBadRequest):
    """Telegram refused a reply, also as plain text; the update's accepted work stays saved."""

    def __init__(self, error: TelegramBadRequest, update_id: int | None) -> None:
        super().__init__(method=error.method, message=error.message)
        self.update_id = update_id


def current_update_id() -> int | None:
    """The update being handled in this task, for log lines; None outside an update."""
    return _UPDATE_ID.get()


class UpdateScope(BaseMiddleware):
    """Marks the update for ``ReplyGuard`` and keeps its work when a reply is refused.

    Registered after the session middleware, so that returning normally commits.
    """

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        token = _UPDATE_ID.set(getattr(event, "update_id", None))
        try:
            return await handler(event, data)
        except ReplyRefused as refused:
            log.error(
                "reply refused update_id=%s method=%s error=%s; the update's changes are kept",
                refused.update_id,
                type(refused.method).__name__,
                refused.message,
            )
            return None
        finally:
            _UPDATE_ID.reset(token)


class ReplyGuard(BaseRequestMiddleware):
    """Splits long direct replies and sends refused ones again as plain text."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        update_id = _UPDATE_ID.get()
        if update_id is None or not isinstance(method, _REPLIES):
            return await make_request(bot, method)
        reply = _Reply(make_request, bot, update_id)
        return cast(Response[TelegramType], await reply.send(method))


class _Reply:
    """One reply of one update: its chunks, and the plain-text retry of a refused one."""

    def __init__(self, make_request: Any, bot: Bot, update_id: int) -> None:
        self.make_request = make_request
        self.bot = bot
        self.update_id = update_id

    async def send(self, method: TelegramMethod[Any]) -> Any:
        if isinstance(method, SendMessage | EditMessageText) and method.entities is None:
            return await self.send_text(method)
        if isinstance(method, SendPhoto | SendDocument | EditMessageCaption):
            return await self.send_captioned(method)
        if isinstance(method, AnswerCallbackQuery) and len(method.text or "") > ANSWER_LIMIT:
            text = (method.text or "")[: ANSWER_LIMIT - 1] + "…"
            method = method.model_copy(update={"text": text})
        return await self.once(method)

    def is_html(self, parse_mode: str | Default | None) -> bool | None:
        """True for HTML, False for no parse mode, None for a mode this guard does not read."""
        if isinstance(parse_mode, Default):
            parse_mode = self.bot.default[parse_mode.name]
        if not parse_mode:
            return False
        mode = getattr(parse_mode, "value", parse_mode)  # aiogram's ParseMode enum, or a str
        return True if str(mode).lower() == "html" else None

    async def send_text(self, method: SendMessage | EditMessageText) -> Any:
        html = self.is_html(method.parse_mode)
        if html is None or method.text is None:
            return await self.once(method)
        chunks = split_message(method.text, MESSAGE_LIMIT, parse_html=html)
        if len(chunks) == 1:
            return await self.with_plain_retry(method, "text", html)
        if isinstance(method, SendMessage):
            last = len(chunks) - 1
            result = None
            for index, chunk in enumerate(chunks):
                update: dict[str, Any] = {"text": chunk}
                if index:
                    update |= {"reply_parameters": None, "reply_to_message_id": None}
                if index != last:
                    update["reply_markup"] = None
                result = await self.with_plain_retry(method.model_copy(update=update), "text", html)
            return result
        # An edit keeps the first chunk (and its buttons); the rest follows as new messages.
        edited = await self.with_plain_retry(
            method.model_copy(update={"text": chunks[0]}), "text", html
        )
        await self.follow_up(method.chat_id, None, method.parse_mode, chunks[1:], html)
        return edited

    async def send_captioned(self, method: SendPhoto | SendDocument | EditMessageCaption) -> Any:
        html = self.is_html(method.parse_mode)
        if html is None or method.caption is None or method.caption_entities is not None:
            return await self.once(method)
        caption, rest = split_caption(method.caption, CAPTION_LIMIT, parse_html=html)
        result = await self.with_plain_retry(
            method.model_copy(update={"caption": caption}), "caption", html
        )
        thread = getattr(method, "message_thread_id", None)
        await self.follow_up(method.chat_id, thread, method.parse_mode, rest, html)
        return result

    async def follow_up(
        self,
        chat_id: int | str | None,
        thread: int | None,
        parse_mode: str | Default | None,
        chunks: list[str],
        html: bool,
    ) -> None:
        if chat_id is None:  # an inline message: there is no chat to continue in
            return
        for chunk in chunks:
            message = SendMessage(
                chat_id=chat_id, text=chunk, parse_mode=parse_mode, message_thread_id=thread
            )
            await self.with_plain_retry(message, "text", html)

    async def with_plain_retry(self, method: TelegramMethod[Any], field: str, html: bool) -> Any:
        try:
            return await self.make_request(self.bot, method)
        except TelegramBadRequest as error:
            if not html or _not_about_text(error):
                raise ReplyRefused(error, self.update_id) from error
            result = await self.send_plain(method, field, error)
            log.error(
                "reply refused update_id=%s method=%s error=%s; sent again as plain text",
                self.update_id,
                type(method).__name__,
                error.message,
            )
            return result

    async def send_plain(
        self, method: TelegramMethod[Any], field: str, error: TelegramBadRequest
    ) -> Any:
        plain = plain_text(getattr(method, field))
        if field == "caption":
            first, rest = split_caption(plain, CAPTION_LIMIT, parse_html=False)
            entities = "caption_entities"
        else:
            first, *rest = split_message(plain, MESSAGE_LIMIT, parse_html=False)
            entities = "entities"
        retry = method.model_copy(update={field: first, "parse_mode": None, entities: None})
        chat_id = getattr(method, "chat_id", None)
        thread = getattr(method, "message_thread_id", None)
        try:
            result = await self.make_request(self.bot, retry)
            await self.follow_up(chat_id, thread, None, rest, False)
        except TelegramBadRequest as again:
            log.debug("plain text refused too update_id=%s error=%s", self.update_id, again)
            raise ReplyRefused(error, self.update_id) from again
        return result

    async def once(self, method: TelegramMethod[Any]) -> Any:
        try:
            return await self.make_request(self.bot, method)
        except ReplyRefused:
            raise
        except TelegramBadRequest as error:
            raise ReplyRefused(error, self.update_id) from error


def _not_about_text(error: TelegramBadRequest) -> bool:
    description = error.message.lower()
    return any(reason in description for reason in _NOT_ABOUT_TEXT)
