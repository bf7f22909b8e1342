"""`opsbot run`: long polling, the scheduler and the outbox sender until SIGINT/SIGTERM, then a
graceful stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta
from pathlib import Path

from bot.app import BotOptions, BotRuntime, create_bot
from bot.clock import SystemClock
from bot.delivery import Rate, RateLimits
from bot.org.loader import load_org
from bot.org.schema import OrgConfig
from bot.org.sync import sync_org
from bot.settings import Settings, SettingsError
from storage.database import Database, open_database

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
    )


async def run_forever(settings: Settings) -> None:
    token = settings.require_token()
    org_path = require_org_path(settings)
    database = await open_database(settings.database_url)
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
        await runtime.start()
        polling = asyncio.create_task(runtime.wait())
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait({polling, stopper}, return_when=asyncio.FIRST_COMPLETED)
        log.info("shutting down")
        await runtime.stop()
        stopper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await stopper
    finally:
        await database.close()
