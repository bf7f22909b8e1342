"""Assembly of the running bot: Bot client, dispatcher, middlewares, routers, polling lifecycle."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramUnauthorizedError
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation

from bot.clock import Clock
from bot.i18n import LOCALES, load_catalogue
from bot.menu import set_guest_menu
from bot.org.schema import OrgConfig
from bot.settings import SettingsError
from handlers import build_root_router
from handlers.middlewares import DbSessionMiddleware, InFlightMiddleware, MemberMiddleware
from storage.database import Database
from storage.fsm import SqlStorage

log = logging.getLogger(__name__)
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
SHUTDOWN_GRACE_SECONDS = 15.0


def create_bot(token: str, api_url: str) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


@dataclass(frozen=True)
class BotOptions:
    polling_timeout: int = 10


class BotRuntime:
    """The bot as one start/stop unit, shared by `opsbot run`, the demo and end-to-end tests."""

    def __init__(
        self,
        *,
        bot: Bot,
        database: Database,
        clock: Clock,
        org: OrgConfig,
        options: BotOptions | None = None,
        fsm_storage: BaseStorage | None = None,
    ) -> None:
        self.bot = bot
        self.database = database
        self.clock = clock
        self.org = org
        self.options = options or BotOptions()
        self.fsm_storage = fsm_storage or SqlStorage(database.session_factory, clock=clock)
        self.in_flight = InFlightMiddleware()
        self.dispatcher: Dispatcher | None = None
        self._polling: asyncio.Task[None] | None = None

    async def start(self) -> None:
        try:
            me = await self.bot.get_me()
        except TelegramUnauthorizedError:
            raise SettingsError("BOT_TOKEN was rejected by the Bot API (Unauthorized)") from None
        if not me.username:
            raise SettingsError("the Bot API returned a bot without a username")
        for locale in LOCALES:
            load_catalogue(locale)  # read the YAML now, not on the event loop's first message
        self.dispatcher = self._build_dispatcher(me.username)
        await set_guest_menu(self.bot, self.org.default_locale)
        await self.bot.delete_webhook(drop_pending_updates=False)
        self._polling = asyncio.create_task(
            self.dispatcher.start_polling(
                self.bot,
                handle_signals=False,
                close_bot_session=False,
                polling_timeout=self.options.polling_timeout,
            ),
            name="opsbot-polling",
        )
        log.info("bot @%s polling", me.username)

    def _build_dispatcher(self, bot_username: str) -> Dispatcher:
        dp = Dispatcher(
            storage=self.fsm_storage,
            events_isolation=SimpleEventIsolation(),
            clock=self.clock,
            bot_username=bot_username,
            org=self.org,
            timezone=self.org.tz,
            default_locale=self.org.default_locale,
        )
        dp.update.outer_middleware(self.in_flight)
        dp.update.outer_middleware(DbSessionMiddleware(self.database.session_factory))
        dp.update.outer_middleware(MemberMiddleware(self.org.default_locale))
        dp.include_router(build_root_router())
        return dp

    async def wait(self) -> None:
        if self._polling is not None:
            await self._polling

    async def stop(self) -> None:
        """Stop taking updates, let in-flight handlers finish their transaction, then close."""
        if self.dispatcher is not None and self._polling is not None and not self._polling.done():
            try:
                await self.dispatcher.stop_polling()
            except RuntimeError:
                log.debug("polling had not started yet")
            await asyncio.gather(self._polling, return_exceptions=True)
        if not await self.in_flight.wait_idle(SHUTDOWN_GRACE_SECONDS):
            log.warning("shutdown: handlers still running after %ss", SHUTDOWN_GRACE_SECONDS)
        await self.fsm_storage.close()
        await self.bot.session.close()
        log.info("bot stopped")
