"""`opsbot jobs ...`: see the scheduled jobs and run one by hand (same idempotency)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

if TYPE_CHECKING:
    from bot.org.schema import OrgConfig
    from storage.database import Database

jobs_app = typer.Typer(help="Scheduled jobs: list them, run one by hand.", no_args_is_help=True)

T = TypeVar("T")


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def _with_org_and_db(work: Callable[[OrgConfig, Database], Awaitable[T]]) -> T:
    """Load settings and the org file, open the database, run ``work``; errors in one line."""
    from bot.org.loader import OrgFileError, load_org
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
        raise _fail(str(exc)) from None
    except OrgFileError as exc:
        raise _fail(f"{exc}; run `opsbot org check {org_path}` to see every problem") from None

    async def run() -> T:
        database = await open_database(settings.database_url)
        try:
            return await work(org, database)
        finally:
            await database.close()

    return asyncio.run(run())


def _parse_at(text: str, org: OrgConfig) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise _fail(
            f"--at must be an ISO time such as 2026-11-21T10:30:00+07:00, got {text!r}"
        ) from None
    return at.replace(tzinfo=org.tz) if at.tzinfo is None else at


@jobs_app.command("list")
def list_jobs() -> None:
    """Each job with its next fire time (org timezone) and its last 3 runs."""
    from bot.clock import SystemClock
    from jobs.registry import job_specs, next_fire_time
    from storage.repositories import jobs as job_runs

    async def work(org: OrgConfig, database: Database) -> list[str]:
        now = SystemClock().now()
        lines: list[str] = []
        async with database.session_factory() as session:
            for spec in job_specs(org):
                fire = next_fire_time(spec, now)
                shown = fire.astimezone(org.tz).strftime("%Y-%m-%d %H:%M %a") if fire else "never"
                lines.append(f"{spec.name:<15} {spec.cadence:<8} next {shown} ({org.timezone})")
                runs = await job_runs.last_runs(session, spec.name, limit=3)
                if not runs:
                    lines.append("    no runs yet")
                for run in runs:
                    started = run.started_at.astimezone(org.tz).strftime("%Y-%m-%d %H:%M")
                    detail = f"  {run.detail}" if run.detail else ""
                    lines.append(f"    {run.period:<10} {run.status:<8} {started}{detail}")
        return lines

    for line in _with_org_and_db(work):
        typer.echo(line)


@jobs_app.command("run")
def run_command(
    name: Annotated[str, typer.Argument(help="job name, e.g. reminder (see `jobs list`)")],
    at: Annotated[
        str | None,
        typer.Option("--at", help="run as of this ISO time (default: now), e.g. 2026-11-21T10:30"),
    ] = None,
) -> None:
    """Run one job now (or as of --at) unless it already ran for that period."""
    from bot.clock import SystemClock
    from jobs.runner import RunOutcome, UnknownJobError, default_handlers, run_job

    async def work(org: OrgConfig, database: Database) -> RunOutcome:
        now = SystemClock().now()
        when = _parse_at(at, org) if at is not None else now
        return await run_job(database.session_factory, org, name, when, default_handlers(), now=now)

    try:
        outcome = _with_org_and_db(work)
    except UnknownJobError as exc:
        raise _fail(str(exc.args[0] if exc.args else exc)) from None
    typer.echo(outcome.text)
    if outcome.status == "failed":
        raise typer.Exit(1)
