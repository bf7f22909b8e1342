"""What every `opsbot` subcommand shares: one-line failures and the org + database setup."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer

if TYPE_CHECKING:
    from bot.org.schema import OrgConfig
    from storage.database import Database

T = TypeVar("T")


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``error: message`` in red on stderr; raise the returned Exit."""
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def with_org_and_db(work: Callable[[OrgConfig, Database], Awaitable[T]], *, sync: bool) -> T:
    """Load settings and the org file, open the database (syncing the org into it first when
    ``sync``, as a bot start does), run ``work``; configuration errors in one line."""
    from bot.org.loader import OrgFileError, load_org
    from bot.org.sync import sync_org
    from bot.settings import SettingsError, load_settings
    from storage.database import open_database

    try:
        settings = load_settings()
        # An empty OPSBOT_ORG arrives as Path(".").
        if settings.opsbot_org is None or settings.opsbot_org == Path("."):
            raise SettingsError("OPSBOT_ORG is not set: export OPSBOT_ORG=path/to/org.yaml")
        org_path = Path(settings.opsbot_org)
        org = load_org(org_path)
    except SettingsError as exc:
        raise fail(str(exc)) from None
    except OrgFileError as exc:
        raise fail(f"{exc}; run `opsbot org check {org_path}` to see every problem") from None

    async def run() -> T:
        database = await open_database(settings.database_url)
        try:
            if sync:
                async with database.session_factory() as session, session.begin():
                    await sync_org(session, org)
            return await work(org, database)
        finally:
            await database.close()

    return asyncio.run(run())
