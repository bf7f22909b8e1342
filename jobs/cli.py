"""`opsbot jobs ...`: see the scheduled jobs and run one by hand (same idempotency)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from bot.cli_support import fail, with_org_and_db

if TYPE_CHECKING:
    from bot.org.schema import OrgConfig
    from storage.database import Database

jobs_app = typer.Typer(help="Scheduled jobs: list them, run one by hand.", no_args_is_help=True)

T = TypeVar("T")


def _parse_at(text: str, org: OrgConfig) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise fail(
            f"--at must be an ISO time such as 2026-11-21T10:30:00+07:00, got {text!r}"
        ) from None
    return at.replace(tzinfo=org.tz) if at.tzinfo is None else at


@jobs_app.command("list")
def list_jobs() -> None:
    """Each job with its next fire time (org timezone) and its last 3 runs."""
    from bot.clock import SystemClock
    from jobs.registry import next_fire_time
    from jobs.table import job_specs
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

    for line in with_org_and_db(work, sync=False):
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
    from jobs.runner import RunOutcome, UnknownJobError, run_job
    from jobs.table import default_handlers

    async def work(org: OrgConfig, database: Database) -> RunOutcome:
        now = SystemClock().now()
        when = _parse_at(at, org) if at is not None else now
        return await run_job(database.session_factory, org, name, when, default_handlers(), now=now)

    try:
        outcome = with_org_and_db(work, sync=False)
    except UnknownJobError as exc:
        raise fail(str(exc.args[0] if exc.args else exc)) from None
    typer.echo(outcome.text)
    if outcome.status == "failed":
        raise typer.Exit(1)
