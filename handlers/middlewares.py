"""Outer middlewares: in-flight tracking, one DB transaction per update, member and locale,
and the handler context built from them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import Translator, normalise_locale
from bot.services.members import member_writing
from handlers.context import Ctx
from storage.fsm import fsm_session

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


class DbSessionMiddleware(BaseMiddleware):
    """One session per update, committed when the handler succeeds, rolled back otherwise."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self._session_factory() as session:
            data["session"] = session
            # Form state is written in the same transaction as the data it describes.
            with fsm_session(session):
                result = await handler(event, data)
            # Handlers may commit earlier (before announcing a result); this commits the rest.
            # On an exception the session closes and everything uncommitted is rolled back.
            await session.commit()
            return result


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
        )
        return await handler(event, data)
