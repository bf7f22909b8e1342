"""`opsbot db ...` commands."""

import typer

db_app = typer.Typer(help="Database schema management.", no_args_is_help=True)
