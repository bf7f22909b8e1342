"""Assembly of the running bot: Bot client, dispatcher, middlewares, routers, the scheduler, the
outbox sender, and their start/stop lifecycle."""

from __future__ import annotations

import asyncio
import inspect
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any, Literal

from aiogram import Bot, Dispatcher, methods
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramUnauthorizedError
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.methods.base import Response, TelegramMethod
from aiogram.types import Update
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from pydantic import ValidationError

from bot.charts import run as charts
from bot.clock import Clock
from bot.delivery import OutboxSender, RateLimits
from bot.delivery.call_journal import CallJournal, JournalScope
from bot.delivery.leader import DEFAULT_LEADER_LEASE, SenderLeader
from bot.delivery.reply_guard import ReplyGuard, UpdateScope
from bot.delivery.sender import DEFAULT_LEASE
from bot.heap import freeze_startup_objects
from bot.i18n import LOCALES, load_catalogue
from bot.menu import set_guest_menu
from bot.metrics import Metrics
from bot.org.schema import OrgConfig
from bot.services.scope import StoreCatalog
from bot.services.updates import InvalidUpdate, UpdateNotApplied
from bot.settings import SettingsError
from handlers import build_root_router
from handlers.middlewares import (
    ContextMiddleware,
    DbSessionMiddleware,
    FormStateMiddleware,
    InFlightMiddleware,
    MemberMiddleware,
    UpdateMetricsMiddleware,
    UpdateOutcome,
)
from jobs.scheduler import build_scheduler, catch_up
from jobs.table import default_handlers
from storage.database import Database
from storage.fsm import SqlStorage

log = logging.getLogger(__name__)
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
SHUTDOWN_GRACE_SECONDS = 15.0
# Webhook updates applied at once by one process. On PostgreSQL each holds a pooled connection
# (its chat's lock and transaction) and briefly needs a second one (its call journal): at most
# 7 at once keeps 14 of the pool's 15 (5 + 10 overflow), so they can never all wait for a
# second connection that none of them gives back. Telegram's max_connections may be higher:
# the others wait here.
WEBHOOK_CONCURRENCY = 7


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
    # How long the outbox sender's leadership lasts unrenewed (one sender per deployment).
    leader_lease: timedelta = DEFAULT_LEADER_LEASE
    outbox_lease: timedelta = DEFAULT_LEASE
    # Start the chart worker process at start, so the first /kpi does not wait for it.
    warm_charts: bool = True
    # polling: getUpdates in this process. webhook: updates come from the HTTP app through
    # feed_webhook_update; the webhook itself is registered with `opsbot webhook set`.
    mode: Literal["polling", "webhook"] = "polling"


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
        metrics: Metrics | None = None,
    ) -> None:
        self.bot = bot
        # The process's metrics (served on /metrics by the HTTP app's readiness).
        self.metrics = metrics or Metrics()
        self.leader: SenderLeader | None = None
        self._unobserve_charts = charts.observe_renders(self.metrics.chart_rendered)
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
        self._journal_installed = False
        self._feeding = asyncio.Semaphore(WEBHOOK_CONCURRENCY)

    @property
    def _journals_calls(self) -> bool:
        """Webhook workers on PostgreSQL journal their Bot API calls (bot/delivery/call_journal)."""
        return self.options.mode == "webhook" and self.database.engine.dialect.name == "postgresql"

    async def start(self) -> None:
        try:
            me = await self.bot.get_me()
        except TelegramUnauthorizedError:
            raise SettingsError("BOT_TOKEN was rejected by the Bot API (Unauthorized)") from None
        if not me.username:
            raise SettingsError("the Bot API returned a bot without a username")
        for locale in LOCALES:
            load_catalogue(locale)  # read the YAML now, not on the event loop's first message
        if self._journals_calls and not self._journal_installed:
            self.bot.session.middleware(CallJournal())  # inside ReplyGuard: the wire calls
            self._journal_installed = True
        self.dispatcher = self._build_dispatcher(me.username)
        api_response_models()
        freeze_startup_objects()  # bot/heap.py
        await set_guest_menu(self.bot, self.org.default_locale)
        if self.options.mode == "webhook":
            # Never setWebhook/deleteWebhook here: a rolling restart must not drop what Telegram
            # holds for the other workers.
            log.info("bot @%s taking updates from the webhook", me.username)
        else:
            await self._start_polling(me.username)
        if self.options.warm_charts:
            self._warming = asyncio.create_task(_warm_charts(), name="opsbot-chart-worker")
        if self.options.deliver_outbox:
            self._start_sender()
        if self.options.run_scheduler:
            await self._start_scheduler()

    async def _start_polling(self, username: str) -> None:
        assert self.dispatcher is not None
        webhook = await self.bot.get_webhook_info()
        if webhook.url:
            # Deleting it would silently take updates away from the webhook workers.
            raise SettingsError(
                f"a webhook is set ({webhook.url}): run `opsbot webhook delete` first "
                "or start with --webhook"
            )
        self._polling = asyncio.create_task(
            self.dispatcher.start_polling(
                self.bot,
                handle_signals=False,
                close_bot_session=False,
                polling_timeout=self.options.polling_timeout,
            ),
            name="opsbot-polling",
        )
        log.info("bot @%s polling", username)

    async def feed_webhook_update(self, update: dict[str, Any]) -> None:
        """Apply one update delivered to the webhook; returns once its transaction committed
        (or it was found applied already). ``InvalidUpdate``: not an update;
        ``UpdateNotApplied``: rolled back as a whole, it must be delivered again."""
        if self.dispatcher is None:
            raise UpdateNotApplied("the bot is not started")
        try:
            parsed = Update.model_validate(update, context={"bot": self.bot})
        except ValueError as exc:  # pydantic's errors quote the input: keep it out of the logs
            count = exc.error_count() if isinstance(exc, ValidationError) else 1
            raise InvalidUpdate(f"{count} validation error(s)") from None
        outcome = UpdateOutcome()
        async with self._feeding:
            await self.dispatcher.feed_update(self.bot, parsed, update_outcome=outcome)
        if outcome.not_applied is not None:
            raise UpdateNotApplied(type(outcome.not_applied).__name__)

    def _start_sender(self) -> None:
        self.sender = OutboxSender(
            self.bot,
            self.database.session_factory,
            self.clock,
            limits=self.options.send_limits,
            lease=self.options.outbox_lease,
            metrics=self.metrics,
        )
        self.leader = SenderLeader(
            self.sender,
            self.database.session_factory,
            self.clock,
            lease=self.options.leader_lease,
            metrics=self.metrics,
        )
        self._stop_sending.clear()
        # Every process is a candidate; only the lease holder sends (bot/delivery/leader.py).
        self._sending = asyncio.create_task(
            self.leader.run(self._stop_sending), name="opsbot-outbox-leader"
        )

    async def _start_scheduler(self) -> None:
        handlers, sessions = default_handlers(), self.database.session_factory
        for outcome in await catch_up(
            sessions, self.org, self.clock, handlers, metrics=self.metrics
        ):
            log.info("catch-up: %s", outcome.text)
        self.scheduler = build_scheduler(
            sessions, self.org, self.clock, handlers, metrics=self.metrics
        )
        self.scheduler.start()

    def _build_dispatcher(self, bot_username: str) -> Dispatcher:
        # aiogram's own FSM middleware reads the state before the update's transaction begins;
        # ours leaves that read to the transaction (one read for the state and the data).
        dp = Dispatcher(
            storage=self.fsm_storage,
            events_isolation=SimpleEventIsolation(),
            disable_fsm=True,
            clock=self.clock,
            bot_username=bot_username,
            org=self.org,
            stores_catalog=StoreCatalog(),
            timezone=self.org.tz,
            default_locale=self.org.default_locale,
        )
        dp.update.outer_middleware(
            FormStateMiddleware(dp.fsm.storage, dp.fsm.events_isolation, dp.fsm.strategy)
        )
        dp.update.outer_middleware(UpdateMetricsMiddleware(self.metrics))
        dp.update.outer_middleware(self.in_flight)
        dp.update.outer_middleware(
            DbSessionMiddleware(
                self.database.session_factory,
                exactly_once=self.options.mode == "webhook",
                journaled=self._journals_calls,
            )
        )
        if self._journals_calls:  # a redelivered update replays the calls already made
            dp.update.outer_middleware(JournalScope(self.database.session_factory, self.clock))
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
        self._unobserve_charts()
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


def used_update_types() -> list[str]:
    """The update types the bot's handlers take (what polling asks for; the webhook too)."""
    dp = Dispatcher()
    dp.include_router(build_root_router())
    return dp.resolve_used_update_types()


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
