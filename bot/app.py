"""Assembly of the running bot: Bot client, dispatcher, middlewares, routers, the scheduler, the
outbox sender, and their start/stop lifecycle."""

from __future__ import annotations

import asyncio
import gc
import inspect
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any

from aiogram import Bot, Dispatcher, methods
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramUnauthorizedError
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.methods.base import Response, TelegramMethod
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.charts import run as charts
from bot.clock import Clock
from bot.delivery import OutboxSender, RateLimits
from bot.delivery.reply_guard import ReplyGuard, UpdateScope
from bot.delivery.sender import DEFAULT_LEASE
from bot.i18n import LOCALES, load_catalogue
from bot.menu import set_guest_menu
from bot.org.schema import OrgConfig
from bot.services.scope import StoreCatalog
from bot.settings import SettingsError
from handlers import build_root_router
from handlers.middlewares import (
    ContextMiddleware,
    DbSessionMiddleware,
    InFlightMiddleware,
    MemberMiddleware,
)
from jobs.scheduler import build_scheduler, catch_up
from jobs.table import default_handlers
from storage.database import Database
from storage.fsm import SqlStorage

log = logging.getLogger(__name__)
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
SHUTDOWN_GRACE_SECONDS = 15.0


def create_bot(token: str, api_url: str) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
    session.middleware(ReplyGuard())  # direct replies: split when long, plain text if refused
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


@dataclass(frozen=True)
class BotOptions:
    polling_timeout: int = 10
    # The scheduler fires the org's jobs (catching up missed ones on start); the sender drains
    # the outbox. Tests that drive jobs and delivery by hand turn them off.
    run_scheduler: bool = True
    deliver_outbox: bool = True
    send_limits: RateLimits = field(default_factory=RateLimits)
    outbox_lease: timedelta = DEFAULT_LEASE
    # Start the chart worker process at start, so the first /kpi does not wait for it.
    warm_charts: bool = True


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
        self.scheduler: AsyncIOScheduler | None = None
        self.sender: OutboxSender | None = None
        self._sending: asyncio.Task[None] | None = None
        self._stop_sending = asyncio.Event()
        self._warming: asyncio.Task[None] | None = None

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
        api_response_models()
        # What is loaded by now (aiogram's and pydantic's models, the org file...) lives as
        # long as the process: keep it out of the collector's full passes, which otherwise
        # stopped the event loop for ~0.4 s under load (bench/kpi_bench.py, 20 /kpi at once).
        gc.collect()
        gc.freeze()
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
        if self.options.warm_charts:
            self._warming = asyncio.create_task(_warm_charts(), name="opsbot-chart-worker")
        if self.options.deliver_outbox:
            self._start_sender()
        if self.options.run_scheduler:
            await self._start_scheduler()

    def _start_sender(self) -> None:
        self.sender = OutboxSender(
            self.bot,
            self.database.session_factory,
            self.clock,
            limits=self.options.send_limits,
            lease=self.options.outbox_lease,
        )
        self._stop_sending.clear()
        self._sending = asyncio.create_task(
            self.sender.run(self._stop_sending), name="opsbot-outbox-sender"
        )

    async def _start_scheduler(self) -> None:
        handlers, sessions = default_handlers(), self.database.session_factory
        for outcome in await catch_up(sessions, self.org, self.clock, handlers):
            log.info("catch-up: %s", outcome.text)
        self.scheduler = build_scheduler(sessions, self.org, self.clock, handlers)
        self.scheduler.start()

    def _build_dispatcher(self, bot_username: str) -> Dispatcher:
        dp = Dispatcher(
            storage=self.fsm_storage,
            events_isolation=SimpleEventIsolation(),
            clock=self.clock,
            bot_username=bot_username,
            org=self.org,
            stores_catalog=StoreCatalog(),
            timezone=self.org.tz,
            default_locale=self.org.default_locale,
        )
        dp.update.outer_middleware(self.in_flight)
        dp.update.outer_middleware(DbSessionMiddleware(self.database.session_factory))
        dp.update.outer_middleware(UpdateScope())  # inside the transaction: a refused reply commits
        dp.update.outer_middleware(MemberMiddleware(self.org.default_locale))
        dp.update.outer_middleware(ContextMiddleware())
        dp.include_router(build_root_router())
        return dp

    async def wait(self) -> None:
        if self._polling is not None:
            await self._polling

    async def stop(self) -> None:
        """Stop taking updates and firing jobs, let in-flight handlers and sends finish, close.

        A job cut short rolls back as a whole and runs again on the next start (catch-up).
        """
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        if self.dispatcher is not None and self._polling is not None and not self._polling.done():
            try:
                await self.dispatcher.stop_polling()
            except RuntimeError:
                log.debug("polling had not started yet")
            await asyncio.gather(self._polling, return_exceptions=True)
        if not await self.in_flight.wait_idle(SHUTDOWN_GRACE_SECONDS):
            log.warning("shutdown: handlers still running after %ss", SHUTDOWN_GRACE_SECONDS)
        await self._stop_sender()
        if self._warming is not None and not self._warming.done():
            self._warming.cancel()
            await asyncio.gather(self._warming, return_exceptions=True)
        await self.fsm_storage.close()
        await self.bot.session.close()
        log.info("bot stopped")

    async def _stop_sender(self) -> None:
        if self._sending is None:
            return
        self._stop_sending.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._sending), SHUTDOWN_GRACE_SECONDS)
        except TimeoutError:
            log.warning("shutdown: outbox sender still busy; unsent rows come due again")
            self._sending.cancel()
            await asyncio.gather(self._sending, return_exceptions=True)
        except Exception:
            log.exception("outbox sender failed")
        self._sending = None


async def _warm_charts() -> None:
    try:
        await charts.warm_up()
    except Exception:  # charts still work: the worker is started again on the first chart
        log.exception("chart worker did not start")


@cache
def api_response_models() -> tuple[type[Any], ...]:
    """Every ``Response[T]`` the Bot API methods answer with, built once and kept.

    aiogram asks pydantic for ``Response[method.__returning__]`` on every reply, and pydantic
    keeps those classes only weakly: once collected, the next reply rebuilds one (5-13 ms of CPU
    on the event loop, on every long poll and every send).
    """
    returning: dict[str, Any] = {}
    for method in vars(methods).values():
        if inspect.isclass(method) and issubclass(method, TelegramMethod):
            answer = getattr(method, "__returning__", None)
            if answer is not None and not isinstance(answer, property):  # property: the base
                returning[repr(answer)] = answer
    return tuple(Response[answer] for answer in returning.values())  # type: ignore[valid-type]
