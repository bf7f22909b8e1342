"""`opsbot db ...` commands: schema upgrades, revisions, backup and restore."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer

from bot.cli_support import fail

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

db_app = typer.Typer(help="Database schema management.", no_args_is_help=True)

T = TypeVar("T")

DATABASE_URL_OPTION = typer.Option(None, "--database-url", help="default: DATABASE_URL")


def _resolve_url(database_url: str | None) -> str:
    if database_url:
        return database_url
    from bot.settings import SettingsError, load_settings

    try:
        return load_settings().database_url
    except SettingsError as exc:
        raise fail(str(exc)) from None


def _display(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _with_engine(url: str, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    """Run ``work`` on a fresh engine; database problems become one line and exit code 1."""
    from sqlalchemy.exc import ArgumentError, DBAPIError

    from storage.engine import create_engine

    async def run() -> T:
        engine = create_engine(url)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except ArgumentError as exc:
        raise fail(f"DATABASE_URL is not a valid database URL: {exc}") from None
    except (DBAPIError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise fail(f"cannot use database {_display(url)}: {reason}", code=1) from None


@db_app.command()
def upgrade(database_url: str | None = DATABASE_URL_OPTION) -> None:
    """Bring the database schema to the newest revision (safe to run again)."""
    from storage.migrate import current_revision, head_revision, upgrade_to_head

    url = _resolve_url(database_url)

    async def work(engine: AsyncEngine) -> tuple[str | None, str | None]:
        before = await current_revision(engine)
        await upgrade_to_head(engine)
        return before, await current_revision(engine)

    before, after = _with_engine(url, work)
    if before == after:
        typer.echo(f"{_display(url)}: already at {after} (head {head_revision()})")
    else:
        typer.echo(f"{_display(url)}: upgraded {before or 'empty'} -> {after}")


@db_app.command()
def current(database_url: str | None = DATABASE_URL_OPTION) -> None:
    """Show the schema revision of the database and whether it is the newest."""
    from storage.migrate import current_revision, head_revision

    url = _resolve_url(database_url)
    revision = _with_engine(url, current_revision)
    head = head_revision()
    if revision == head:
        typer.echo(f"{revision} (head)")
    else:
        shown = revision or "none"
        typer.echo(f"{shown} (head is {head}: run `opsbot db upgrade`)")


@db_app.command()
def revision(
    message: str = typer.Option(..., "--message", "-m", help="what the change is, e.g. 'add x'"),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """(Development) Draft a new revision from the models, against a database at head."""
    from storage.migrate import create_revision

    url = _resolve_url(database_url)

    async def work(engine: AsyncEngine) -> str:
        return str(await create_revision(engine, message))

    typer.echo(_with_engine(url, work))


@db_app.command("rebuild-rollups")
def rebuild_rollups(database_url: str | None = DATABASE_URL_OPTION) -> None:
    """Recompute the KPI rollups from the daily values, in one transaction (safe while the bot
    runs: writes of values wait for it on PostgreSQL)."""
    from sqlalchemy.ext.asyncio import AsyncSession

    from storage.repositories import rollups

    url = _resolve_url(database_url)

    async def work(engine: AsyncEngine) -> tuple[int, int]:
        async with AsyncSession(engine) as session, session.begin():
            return await rollups.rebuild(session)

    monthly, daily = _with_engine(url, work)
    typer.echo(f"{_display(url)}: rollups rebuilt ({monthly} monthly rows, {daily} daily rows)")


FORCE_OPTION = typer.Option(False, "--force", help="overwrite FILE if it exists")
BACKUP_FILE = typer.Argument(..., help="where to write the copy, e.g. backups/opsbot.db")
RESTORE_FILE = typer.Argument(..., help="a copy made by `opsbot db backup`")


@db_app.command("backup")
def backup_command(
    file: Path = BACKUP_FILE,
    force: bool = FORCE_OPTION,
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """Copy the SQLite database consistently, even while the bot runs; on PostgreSQL, print
    the pg_dump command to run."""
    from storage.backup import BackupError, backup, postgres_command, sqlite_file

    url = _resolve_url(database_url)
    try:
        source = sqlite_file(url)
        if source is None:
            typer.echo("PostgreSQL: run this (the password comes from PGPASSWORD or ~/.pgpass):")
            typer.echo(postgres_command(url, "pg_dump", file))
            return
        copied = asyncio.run(backup(source, file, overwrite=force))
    except BackupError as exc:
        raise fail(str(exc), code=1) from None
    except (sqlite3.Error, OSError) as exc:
        raise fail(f"backup of {_display(url)} failed: {exc}", code=1) from None
    typer.echo(
        f"backed up {source} -> {copied.path.resolve()} ({_size(copied.size)}, "
        f"schema {copied.revision or 'none'})"
    )


@db_app.command("restore")
def restore_command(
    file: Path = RESTORE_FILE,
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """Replace the SQLite database with a backup (the bot must be stopped); the previous file
    is kept as <database>.bak. On PostgreSQL, print the pg_restore command to run."""
    from storage.backup import BackupError, postgres_command, restore_file, sqlite_file
    from storage.migrate import head_revision, known_revisions

    url = _resolve_url(database_url)
    try:
        target = sqlite_file(url)
        if target is None:
            typer.echo("PostgreSQL: stop the bot, then run (password: PGPASSWORD or ~/.pgpass):")
            typer.echo(postgres_command(url, "pg_restore", file))
            return
        restored = restore_file(file, target, known_revisions())
    except BackupError as exc:
        raise fail(str(exc), code=1) from None
    except (sqlite3.Error, OSError) as exc:
        raise fail(f"restore of {_display(url)} failed: {exc}", code=1) from None
    if restored.previous is not None:
        typer.echo(f"previous database kept as {restored.previous}")
    typer.echo(f"restored {file} -> {target} (schema {restored.revision})")
    if restored.revision != head_revision():
        typer.echo("the schema is older than this code: the bot upgrades it on start")


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024**2:
        return f"{size / 1024:.1f} KiB"
    return f"{size / 1024**2:.1f} MiB"
