"""The `opsbot` command line. Sub-command groups live next to the code they drive."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from bot.cli_support import fail
from bot.ingest_cli import ingest_app
from bot.org.cli import org_app
from bot.plans_cli import export_command, plan_app
from bot.roles import Role
from bot.sandbox.cli import sandbox_command
from bot.settings import SettingsError, load_settings
from bot.token_cli import token_app
from jobs.cli import jobs_app
from storage.cli import db_app

app = typer.Typer(help="opsbot: chat-first operations bot.", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(db_app, name="db")
app.add_typer(jobs_app, name="jobs")
app.add_typer(plan_app, name="plan")
app.add_typer(ingest_app, name="ingest")
app.add_typer(token_app, name="token")
app.command("export")(export_command)
app.command("sandbox")(sandbox_command)


@app.command()
def run() -> None:
    """Run the bot with long polling against TELEGRAM_API_URL (Ctrl-C or SIGTERM stops it)."""
    from bot.logs import setup_logging
    from bot.org.loader import OrgFileError
    from bot.runner import run_forever

    try:
        settings = load_settings()
        token = settings.require_token()
        setup_logging(settings.log_level, [token])
        asyncio.run(run_forever(settings))
    except SettingsError as exc:
        raise fail(str(exc)) from None
    except OrgFileError as exc:
        raise fail(f"org file has {len(exc.problems)} problem(s); run `opsbot org check`") from None


@app.command()
def invite(
    role: Annotated[Role, typer.Option(help="staff, manager, bod or admin")],
    department: Annotated[
        str | None, typer.Option(help="department code (staff and managers)")
    ] = None,
    stores: Annotated[
        str, typer.Option(help="comma-separated store codes, e.g. HS-SHOPEE,HS-TIKTOK")
    ] = "",
    bot_username: Annotated[
        str | None,
        typer.Option(help="bot username for the link (default: asked from the Bot API)"),
    ] = None,
    database_url: Annotated[str | None, typer.Option(help="default: DATABASE_URL")] = None,
) -> None:
    """Create a single-use invite and print its deep link and token."""
    from bot.invite_cli import create_invite_from_cli

    try:
        settings = load_settings()
        codes = tuple(c.strip() for c in stores.split(",") if c.strip())
        link, token, expires = asyncio.run(
            create_invite_from_cli(
                settings,
                role=role,
                department=department,
                store_codes=codes,
                bot_username=bot_username,
                database_url=database_url,
            )
        )
    except SettingsError as exc:
        raise fail(str(exc)) from None
    typer.echo(link)
    typer.echo(f"token: {token}")
    typer.echo(f"expires: {expires}")


@app.command()
def demo(
    output: Annotated[Path, typer.Option(help="folder for the transcript and images")] = Path(
        "demo-output"
    ),
    pause: Annotated[float, typer.Option(help="seconds to wait between steps, to watch")] = 0.0,
) -> None:
    """Play the scripted scenario offline: sandbox + real bot + several users."""
    from bot.demo import run_demo

    code = asyncio.run(run_demo(output, pause=pause))
    raise typer.Exit(code)
