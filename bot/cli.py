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
from bot.webhook_cli import webhook_app
from jobs.cli import jobs_app
from storage.cli import db_app

app = typer.Typer(help="opsbot: chat-first operations bot.", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(db_app, name="db")
app.add_typer(jobs_app, name="jobs")
app.add_typer(plan_app, name="plan")
app.add_typer(ingest_app, name="ingest")
app.add_typer(token_app, name="token")
app.add_typer(webhook_app, name="webhook")
app.command("export")(export_command)
app.command("sandbox")(sandbox_command)


@app.command()
def run(
    webhook: Annotated[
        bool,
        typer.Option(
            "--webhook",
            help="take updates on POST /telegram/webhook (OPSBOT_MODE=webhook) instead of polling",
        ),
    ] = False,
) -> None:
    """Run the bot against TELEGRAM_API_URL (Ctrl-C or SIGTERM stops it): long polling, or with
    --webhook a webhook worker on OPSBOT_HTTP_PORT (register it with `opsbot webhook set`)."""
    from bot.logs import setup_logging
    from bot.org.loader import OrgFileError
    from bot.runner import run_forever

    try:
        settings = load_settings(**({"opsbot_mode": "webhook"} if webhook else {}))
        token = settings.require_token()
        secrets = [token]
        if settings.opsbot_mode == "webhook":
            secrets.append(settings.require_webhook_mode())
        setup_logging(settings.log_level, secrets, settings.log_format)
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
