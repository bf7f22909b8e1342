"""`opsbot run`: long polling until SIGINT/SIGTERM, then a graceful stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from bot.app import BotOptions, BotRuntime, create_bot
from bot.clock import SystemClock
from bot.org.loader import load_org
from bot.org.schema import OrgConfig
from bot.org.sync import sync_org
from bot.settings import Settings
from storage.database import Database, open_database

log = logging.getLogger(__name__)


async def load_and_sync_org(settings: Settings, database: Database) -> OrgConfig | None:
    """Read the org file (if configured) and bring the catalogue in the database up to date."""
    if settings.opsbot_org is None:
        log.warning("OPSBOT_ORG is not set: running without an org file")
        return None
    org = load_org(settings.opsbot_org)
    async with database.session_factory() as session, session.begin():
        report = await sync_org(session, org)
    log.info("org file loaded path=%s changes=%s", settings.opsbot_org, report)
    return org


def options_from(org: OrgConfig | None) -> BotOptions:
    if org is None:
        return BotOptions()
    return BotOptions(timezone=org.timezone, default_locale=org.default_locale)


async def run_forever(settings: Settings) -> None:
    token = settings.require_token()
    database = await open_database(settings.database_url)
    try:
        org = await load_and_sync_org(settings, database)
        runtime = BotRuntime(
            bot=create_bot(token, settings.telegram_api_url),
            database=database,
            clock=SystemClock(),
            options=options_from(org),
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
