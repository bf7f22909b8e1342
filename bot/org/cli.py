"""`opsbot org ...` commands."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bot.cli_support import fail

if TYPE_CHECKING:
    from bot.org.loader import OrgProblem
    from bot.org.schema import OrgConfig
    from bot.org.sync import SyncReport

# Heavy modules (pydantic models, SQLAlchemy) are imported inside the commands so that
# `opsbot --help` and unrelated commands stay fast.
org_app = typer.Typer(help="Validate and load the org file.", no_args_is_help=True)

FILE_ARGUMENT = typer.Argument(None, help="the org file (default: OPSBOT_ORG)", show_default=False)


def _resolve_file(file: Path | None) -> Path:
    if file is not None:
        return file
    from bot.settings import SettingsError, load_settings

    try:
        configured = load_settings().opsbot_org
    except SettingsError as exc:
        raise fail(str(exc)) from None
    if configured is None:
        raise fail("no org file given: pass FILE or set OPSBOT_ORG")
    return configured


def _validated(file: Path) -> OrgConfig:
    """The config, or every problem printed and exit code 1."""
    from bot.org.loader import check_org

    org, problems = check_org(file)
    if org is None:
        _print_problems(file, problems)
        raise typer.Exit(1)
    return org


def _print_problems(file: Path, problems: list[OrgProblem]) -> None:
    for problem in problems:
        typer.echo(problem.format(file))
    typer.secho(f"{len(problems)} problem(s) in {file}", err=True, fg=typer.colors.RED)


def summary(org: OrgConfig) -> str:
    counts = [
        (len(org.brands), "brands"),
        (len(org.stores), "stores"),
        (len(org.departments), "departments"),
        (len(org.metrics), f"metrics ({len(org.derived_metrics)} derived)"),
        (len(org.forms), "forms"),
        (len(org.alert_rules), "alert rules"),
        (len(org.order_types), "order types"),
    ]
    return ", ".join(f"{count} {label}" for count, label in counts)


@org_app.command("check")
def check_command(file: Path | None = FILE_ARGUMENT) -> None:
    """Validate the org file; print each problem as FILE:LINE: path: message."""
    path = _resolve_file(file)
    org = _validated(path)
    typer.echo(f"ok: {summary(org)}")


@org_app.command("load")
def load_command(
    file: Path | None = FILE_ARGUMENT,
    database_url: str | None = typer.Option(None, help="default: DATABASE_URL"),
) -> None:
    """Validate the org file, then sync departments, brands and stores into the database."""
    path = _resolve_file(file)
    org = _validated(path)
    url = database_url or _database_url_from_settings()
    _check_sqlite_directory(url)
    try:
        report = asyncio.run(_load(url, org))
    except Exception as exc:  # any driver error is shown as one line, without a traceback
        raise fail(f"database: {type(exc).__name__}: {exc}".splitlines()[0]) from None
    typer.echo(f"loaded {path}")
    for line in report.lines():
        typer.echo(line)


def _database_url_from_settings() -> str:
    from bot.settings import SettingsError, load_settings

    try:
        return load_settings().database_url
    except SettingsError as exc:
        raise fail(str(exc)) from None


def _check_sqlite_directory(url: str) -> None:
    """SQLite cannot create a missing folder; say so plainly instead of "unable to open"."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        # The URL may hold a password: do not echo it.
        raise fail("database: the database URL cannot be parsed") from None
    database = parsed.database
    if not parsed.get_backend_name().startswith("sqlite") or not database or database == ":memory:":
        return
    folder = Path(database).parent
    if not folder.is_dir():
        raise fail(f"database: folder {folder} does not exist")


async def _load(url: str, org: OrgConfig) -> SyncReport:
    from bot.org.sync import sync_org
    from storage.database import open_database

    database = await open_database(url)
    try:
        async with database.session_factory() as session, session.begin():
            return await sync_org(session, org)
    finally:
        await database.close()
