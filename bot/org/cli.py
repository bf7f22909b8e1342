"""`opsbot org ...` commands."""

import typer

org_app = typer.Typer(help="Validate and load the org file.", no_args_is_help=True)
