"""`opsbot run`: updates (long polling, or the webhook with `--webhook`), the scheduler and the
outbox sender until SIGINT/SIGTERM, then a graceful stop.

Webhook mode, on SIGTERM: /readyz and new webhook deliveries answer 503 (the proxy sends them to
another worker), updates being handled finish and answer, then the server and the bot stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.app import BotOptions, BotRuntime, create_bot
from bot.clock import SystemClock
from bot.delivery import Rate, RateLimits
from bot.org.loader import load_org
from bot.org.schema import OrgConfig
from bot.org.sync import sync_org
from bot.settings import Settings, SettingsError
from storage.database import Database, open_database

if TYPE_CHECKING:
    from bot.api import ApiServer
    from bot.api.readiness import Readiness
    from bot.metrics import Metrics

log = logging.getLogger(__name__)


def require_org_path(settings: Settings) -> Path:
    if settings.opsbot_org is None:
        raise SettingsError(
            "OPSBOT_ORG is not set: point it at your org file "
            "(e.g. OPSBOT_ORG=examples/demo-org.yaml)"
        )
    if not settings.opsbot_org.is_file():
        raise SettingsError(f"OPSBOT_ORG: no such file {settings.opsbot_org}")
    return settings.opsbot_org


async def load_and_sync_org(org_path: Path, database: Database) -> OrgConfig:
    """Read the org file and bring the catalogue in the database up to date."""
    org = load_org(org_path)
    async with database.session_factory() as session, session.begin():
        report = await sync_org(session, org)
    log.info("org file loaded path=%s changes=%s", org_path, report)
    return org


def runtime_options(settings: Settings) -> BotOptions:
    return BotOptions(
        send_limits=RateLimits(overall=Rate(settings.opsbot_send_rate, 1.0)),
        outbox_lease=timedelta(seconds=settings.opsbot_outbox_lease),
        leader_lease=timedelta(seconds=settings.opsbot_leader_lease),
        mode=settings.opsbot_mode,
    )


async def start_api(
    settings: Settings, runtime: BotRuntime, readiness: Readiness
) -> ApiServer | None:
    """The HTTP API on this event loop when OPSBOT_HTTP_PORT is set (bot/api); in webhook mode
    it also takes Telegram's updates."""
    if settings.opsbot_http_port is None:
        return None
    # FastAPI is loaded only when the API is served.
    from bot.api import ApiServer, build_api
    from bot.api.routes_webhook import WebhookTarget

    webhook = None
    if settings.opsbot_mode == "webhook":
        secret = settings.require_webhook_mode()
        webhook = WebhookTarget(
            runtime.feed_webhook_update, secret, lambda: readiness.shutting_down
        )
    database = runtime.database
    app = build_api(
        database.session_factory, runtime.org, runtime.clock, readiness=readiness, webhook=webhook
    )
    server = ApiServer(app, settings.opsbot_http_host, settings.opsbot_http_port)
    await server.start()
    return server


def new_readiness(
    settings: Settings, database: Database, metrics: Metrics | None = None
) -> Readiness | None:
    if settings.opsbot_http_port is None:
        return None
    from bot.api.readiness import Readiness

    return Readiness(database.session_factory, metrics)


async def run_forever(settings: Settings) -> None:
    token = settings.require_token()
    org_path = require_org_path(settings)
    if settings.opsbot_mode == "webhook":
        settings.require_webhook_mode()
    database = await open_database(settings.database_url, pool_size=settings.opsbot_db_pool_size)
    try:
        org = await load_and_sync_org(org_path, database)
        runtime = BotRuntime(
            bot=create_bot(token, settings.telegram_api_url),
            database=database,
            clock=SystemClock(),
            org=org,
            options=runtime_options(settings),
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await runtime.start()
        except BaseException:
            await runtime.stop()
            raise
        readiness = new_readiness(settings, database, runtime.metrics)
        try:
            api = None if readiness is None else await start_api(settings, runtime, readiness)
        except OSError as exc:
            await runtime.stop()
            raise SettingsError(f"OPSBOT_HTTP_PORT: cannot serve the HTTP API: {exc}") from None
        stopper = asyncio.create_task(stop.wait())
        waiting: set[asyncio.Task[object]] = {stopper}
        if settings.opsbot_mode == "polling":  # polling ends on its own only if it fails
            waiting.add(asyncio.create_task(runtime.wait()))
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        log.info("shutting down")
        if readiness is not None:
            readiness.begin_shutdown()
            if settings.opsbot_mode == "webhook" and api is not None:
                await asyncio.sleep(settings.opsbot_drain_seconds)  # still answering: 503
        if api is not None:
            await api.stop()  # requests being handled finish first
        await runtime.stop()
        stopper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await stopper
    finally:
        await database.close()
