"""The `opsbot` command line. Sub-command groups live next to the code they drive."""

from __future__ import annotations

import typer

from bot.org.cli import org_app
from bot.sandbox.cli import sandbox_command
from storage.cli import db_app

app = typer.Typer(help="opsbot: chat-first operations bot.", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(db_app, name="db")
app.command("sandbox")(sandbox_command)
