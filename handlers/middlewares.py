"""Outer middlewares: in-flight tracking, one DB transaction per update, member and locale,
and the handler context built from them."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

from aiogram import BaseMiddleware, Bot
from aiogram.fsm.context import FSMContext
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.types import Chat, TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import Translator, normalise_locale
from bot.logs import update_context
from bot.metrics import Metrics
from bot.services.members import member_writing
from bot.services.updates import (
    EarlierUpdatePending,
    begin_journaled_update,
    begin_update,
    chat_turn,
    forget_calls,
    hold_press,
    rolled_back_by_database,
)
from handlers.context import Ctx
from storage.fsm import fsm_session

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class InFlightMiddleware(BaseMiddleware):
    """Counts updates being handled so shutdown can wait for them to finish."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        self._count += 1
        self._idle.clear()
        try:
            return await handler(event, data)
        finally:
            self._count -= 1
            if self._count == 0:
                self._idle.set()

    async def wait_idle(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True


class FormStateMiddleware(FSMContextMiddleware):
    """aiogram's FSM middleware (the update's ``FSMContext`` and the in-process lock per chat)
    without its early state read: ``DbSessionMiddleware`` reads the state inside the update's
    transaction (after the chat's lock in webhook mode), where one read serves the state and the
    data for the whole update."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        context = self.resolve_event_context(cast(Bot, data["bot"]), data)
        data["fsm_storage"] = self.storage
        if context is None:
            return await handler(event, data)
        async with self.events_isolation.lock(key=context.key):
            data["state"] = context
            return await handler(event, data)


@dataclass
class UpdateOutcome:
    """What became of one webhook update, for the HTTP answer (``feed_update(update_outcome=)``)."""

    already_applied: bool = False
    not_applied: BaseException | None = None  # the database failed: everything rolled back


class DbSessionMiddleware(BaseMiddleware):
    """One session per update, committed when the handler succeeds, rolled back otherwise.

    With ``exactly_once`` (webhook mode) the transaction first takes the chat's lock (across
    processes) and records the update id: a redelivered update that was applied is skipped, and
    one rolled back because the database failed is reported in ``data["update_outcome"]`` (not
    raised: the errors router would tell the user about a failure the redelivery repairs).
    """

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        exactly_once: bool = False,
        journaled: bool = False,
    ) -> None:
        self._session_factory = session_factory
        self._exactly_once = exactly_once
        self._journaled = journaled  # Bot API calls are journaled: read the journal at the claim

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if self._exactly_once:
            return await self._once(handler, event, data)
        async with self._session_factory() as session:
            data["session"] = session
            # Form state is written in the same transaction as the data it describes.
            with fsm_session(session):
                await _read_form_state(data)
                result = await handler(event, data)
            # Handlers may commit earlier (before announcing a result); this commits the rest.
            # On an exception the session closes and everything uncommitted is rolled back.
            await session.commit()
            return result

    async def _once(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        outcome: UpdateOutcome = data.get("update_outcome") or UpdateOutcome()
        update_id = getattr(event, "update_id", None)
        try:
            async with chat_turn(self._session_factory, _chat_key(data)) as connection:
                bound = {} if connection is None else {"bind": connection}
                async with self._session_factory(**bound) as session:
                    return await self._apply(handler, event, data, session, outcome)
        except EarlierUpdatePending as exc:
            log.info("update_id=%s waits: %s", update_id, exc)
            outcome.not_applied = exc
            return None
        except Exception as exc:
            if not rolled_back_by_database(exc):
                if update_id is not None:
                    await forget_calls(self._session_factory, update_id)
                raise
            log.warning(
                "update_id=%s rolled back, the database failed: %s", update_id, type(exc).__name__
            )
            outcome.not_applied = exc
            return None

    async def _apply(
        self,
        handler: Handler,
        event: TelegramObject,
        data: dict[str, Any],
        session: AsyncSession,
        outcome: UpdateOutcome,
    ) -> Any:
        data["session"] = session
        update_id = getattr(event, "update_id", None)
        with fsm_session(session):
            if update_id is not None and not await self._claim(session, update_id, data):
                log.info("update_id=%s was applied already; skipped", update_id)
                outcome.already_applied = True
                return None
            data["claimed"] = update_id is not None
            chat_id = _chat_key(data)
            if update_id is not None and chat_id is not None and _is_press(event):
                await hold_press(session, chat_id, update_id, data["clock"].now())
            await _read_form_state(data)
            result = await handler(event, data)
        await session.commit()
        return result

    async def _claim(self, session: AsyncSession, update_id: int, data: dict[str, Any]) -> bool:
        now = data["clock"].now()
        if not self._journaled:
            return await begin_update(session, update_id, now)
        calls = await begin_journaled_update(session, update_id, now)
        data["journal_calls"] = calls  # what JournalScope replays
        return calls is not None


async def _read_form_state(data: dict[str, Any]) -> None:
    """What aiogram's state filters read, from the update's own session (``fsm_session``)."""
    state: FSMContext | None = data.get("state")
    data["raw_state"] = await state.get_state() if state is not None else None


def _is_press(event: TelegramObject) -> bool:
    return getattr(event, "callback_query", None) is not None


def _chat_key(data: dict[str, Any]) -> int | None:
    """Whose updates are applied one at a time: the chat's, or the user's without a chat."""
    chat: Chat | None = data.get("event_chat")
    if chat is not None:
        return chat.id
    user: User | None = data.get("event_from_user")
    return user.id if user is not None else None


class MemberMiddleware(BaseMiddleware):
    """Loads the member behind the update (None for strangers) and their translator."""

    def __init__(self, default_locale: str) -> None:
        self._default_locale = default_locale

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        session: AsyncSession = data["session"]
        member = await member_writing(session, user.id) if user else None
        if member is not None:
            locale = member.locale
        else:
            locale = normalise_locale(user.language_code if user else None, self._default_locale)
        data["member"] = member
        data["t"] = Translator(locale)
        return await handler(event, data)


class ContextMiddleware(BaseMiddleware):
    """Bundles the update's session, member, translator and the bot's shared dependencies
    into one ``ctx`` (runs after the session and member middlewares)."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        data["ctx"] = Ctx(
            session=data["session"],
            t=data["t"],
            org=data["org"],
            clock=data["clock"],
            bot=data["bot"],
            bot_username=data["bot_username"],
            stores_catalog=data["stores_catalog"],
            member_or_none=data["member"],
            update_id=getattr(event, "update_id", None),
            claimed=data.get("claimed", False),
            journaled=data.get("journaled", False),
        )
        return await handler(event, data)


class UpdateMetricsMiddleware(BaseMiddleware):
    """The outermost of ours: counts each update by type and result (ok, error, duplicate),
    times it, and names it (update id, chat id) on every log line written while it runs."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        kind = str(getattr(event, "event_type", None) or "unknown")
        chat: Chat | None = data.get("event_chat")
        # Shared with DbSessionMiddleware, which tells a redelivered update from a new one.
        outcome: UpdateOutcome = data.setdefault("update_outcome", UpdateOutcome())
        started = time.perf_counter()
        with update_context(getattr(event, "update_id", None), chat.id if chat else None):
            try:
                result = await handler(event, data)
            except Exception:
                self._metrics.update_handled(kind, "error", time.perf_counter() - started)
                raise
        if outcome.already_applied:
            self._metrics.update_handled(kind, "duplicate", None)
        else:
            failed = outcome.not_applied is not None
            seconds = time.perf_counter() - started
            self._metrics.update_handled(kind, "error" if failed else "ok", seconds)
        return result
