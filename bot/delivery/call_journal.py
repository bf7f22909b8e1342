"""Bot API calls of a webhook update, journaled so that a redelivery never sends a reply twice.

A worker that dies after its handler replied but before the update's transaction committed
leaves nothing applied, and Telegram delivers the update again: the handler runs again from the
same state and would send the same replies again. So every call made while an update is
applied (``JournalScope``, inside its transaction) is written right after Telegram answered it,
in a short transaction of its own that survives the rollback (``CallJournal``, a request
middleware on the Bot's session, inside ``ReplyGuard``: it sees the calls that reach the wire).
When the update comes again, its calls are answered from the journal, in order, as long as
the handler makes the same calls (method and chat); from the first difference on, they are
sent for real.

The window that remains: a worker killed after Telegram carried out a call and before its
journal row committed (the time of one answer and one small commit) sends that one call again.
The update's row itself is written before its first call (``announce``), so the chat's later
button presses wait for the update's redelivery even then.
PostgreSQL only: on SQLite the update's transaction holds the single write lock, and SQLite
runs one process, whose death restarts the whole bot.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import SendChatAction
from aiogram.methods.base import Response, TelegramMethod, TelegramType
from aiogram.types import Chat, TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from storage.repositories import updates

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


@dataclass
class _Journal:
    update_id: int
    chat_id: int | None
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    calls: list[dict[str, Any]]  # what an earlier attempt made, read when the update was claimed
    position: int = 0
    replaying: bool = True
    announced: bool = False  # its journal row written by this attempt

    async def replay(self, bot: Bot, method: TelegramMethod[Any]) -> _Made | None:
        calls = self.calls
        if not self.replaying or self.position >= len(calls):
            self.replaying = False
            return None
        made = calls[self.position]
        if made.get("method") != method.__api_method__ or made.get("chat") != _chat(method):
            log.warning(
                "update_id=%s made other calls than before (%s, was %s): sending from here on",
                self.update_id,
                method.__api_method__,
                made.get("method"),
            )
            self.replaying = False
            return None
        self.position += 1
        answer = _response_type(method).model_validate(made["response"], context={"bot": bot})
        return _Made(answer.result)

    async def announce(self) -> None:
        """Before the update's first call reaches the wire: its journal row, with the calls so
        far (none), so that a press of the same chat waits for this update (``hold_press``)
        even when the worker dies between Telegram's answer and the call's own record. Without
        it, such a press went first, found the form a step behind, and its receipt was lost."""
        if self.announced:
            return
        self.announced = True
        await self._save()

    async def record(self, method: TelegramMethod[Any], result: Any) -> None:
        calls = self.calls
        answer = _response_type(method)(ok=True, result=result)
        calls.append(
            {
                "method": method.__api_method__,
                "chat": _chat(method),
                "response": answer.model_dump(mode="json", exclude_none=True, by_alias=True),
            }
        )
        self.position = len(calls)
        await self._save()

    async def _save(self) -> None:
        try:
            async with self.sessions() as session, session.begin():
                await updates.save_journal(
                    session, self.update_id, self.chat_id, self.calls, self.clock.now()
                )
        except Exception:  # the call was made; without its record a redelivery repeats it
            log.warning("update_id=%s: Bot API call not journaled", self.update_id, exc_info=True)


@dataclass(frozen=True)
class _Made:
    """What Telegram answered the first time a call was made."""

    result: Any


def _response_type(method: TelegramMethod[Any]) -> type[Response[Any]]:
    returning = method.__returning__
    return Response[returning]  # type: ignore[valid-type]


_CURRENT: ContextVar[_Journal | None] = ContextVar("opsbot_call_journal", default=None)


def _chat(method: TelegramMethod[Any]) -> int | str | None:
    chat = getattr(method, "chat_id", None)
    return chat if isinstance(chat, int | str) else None


class JournalScope(BaseMiddleware):
    """Journals the Bot API calls of the update being applied (an outer update middleware right
    inside the transaction, reached only by an update not applied before)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        update_id = getattr(event, "update_id", None)
        calls: list[dict[str, Any]] | None = data.get("journal_calls")
        if update_id is None or calls is None:  # not claimed (DbSessionMiddleware(journaled=))
            return await handler(event, data)
        if calls:
            log.info(
                "update_id=%s applied again: %s Bot API call(s) already made are replayed",
                update_id,
                len(calls),
            )
        data["journaled"] = True  # handlers keep one transaction (``Ctx.save_before_announcing``)
        chat: Chat | None = data.get("event_chat")
        journal = _Journal(update_id, chat.id if chat else None, self._sessions, self._clock, calls)
        token = _CURRENT.set(journal)
        try:
            return await handler(event, data)
        finally:
            _CURRENT.reset(token)


class CallJournal(BaseRequestMiddleware):
    """Answers a call from the journal when an earlier attempt at the update made it."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        # What a request middleware gets back and returns is the call's result (aiogram's
        # annotation says Response).
        journal = _CURRENT.get()
        if journal is None or not _changes_something(method):
            return await make_request(bot, method)
        replayed = await journal.replay(bot, method)
        if replayed is not None:
            return cast(Response[TelegramType], replayed.result)
        await journal.announce()
        result = await make_request(bot, method)
        await journal.record(method, result)
        return result


def _changes_something(method: TelegramMethod[Any]) -> bool:
    """Reads (getFile, getChat...) and typing indicators are simply made again."""
    return not method.__api_method__.startswith("get") and not isinstance(method, SendChatAction)
