"""`opsbot token create|list|revoke`: bearer tokens of the HTTP API.

The token is printed once, by `create`; only its SHA-256 is stored, so a lost token is revoked
and created again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from bot.cli_support import fail, with_org_and_db

if TYPE_CHECKING:
    from bot.org.schema import OrgConfig
    from storage.database import Database

T = TypeVar("T")

token_app = typer.Typer(help="Bearer tokens of the HTTP API.", no_args_is_help=True)


def _with_db(work: Callable[[Database], Awaitable[T]]) -> T:
    from bot.settings import SettingsError, load_settings
    from storage.database import open_database

    try:
        settings = load_settings()
    except SettingsError as exc:
        raise fail(str(exc)) from None

    async def run() -> T:
        database = await open_database(settings.database_url)
        try:
            return await work(database)
        finally:
            await database.close()

    return asyncio.run(run())


@token_app.command("create")
def create_command(
    name: Annotated[str, typer.Option(help="a name for the flow that uses it, e.g. n8n-shopee")],
    scope: Annotated[
        str, typer.Option(help="all | department:CODE | stores:CODE,CODE (checked against the org)")
    ],
    read_only: Annotated[
        bool, typer.Option("--read-only", help="may only read values and KPIs")
    ] = False,
) -> None:
    """Create a token and print it once (only its hash is stored)."""
    from bot.clock import SystemClock
    from bot.services.api_tokens import TokenError, create_token

    async def work(org: OrgConfig, database: Database) -> tuple[str, str]:
        async with database.session_factory() as session, session.begin():
            row, secret = await create_token(
                session, org, name=name, scope=scope, read_only=read_only, now=SystemClock().now()
            )
            return secret, row.scope

    try:
        secret, stored_scope = with_org_and_db(work, sync=True)
    except TokenError as exc:
        raise fail(str(exc)) from None
    access = "read-only" if read_only else "read-write"
    typer.echo(f"token {name} ({stored_scope}, {access}) created; it is shown only this once:")
    typer.echo(secret)


@token_app.command("list")
def list_command() -> None:
    """Tokens with their scope, rights, creation and revocation times (never the token)."""
    from bot.services.api_tokens import list_tokens

    async def work(database: Database) -> list[str]:
        async with database.session_factory() as session:
            rows = await list_tokens(session)
            return [
                "\t".join(
                    (
                        row.name,
                        row.scope,
                        "read-only" if row.read_only else "read-write",
                        f"created {row.created_at.isoformat(timespec='minutes')}",
                        f"revoked {row.revoked_at.isoformat(timespec='minutes')}"
                        if row.revoked_at
                        else "active",
                    )
                )
                for row in rows
            ]

    lines = _with_db(work)
    for line in lines or ["no tokens yet: opsbot token create --name NAME --scope all"]:
        typer.echo(line)


@token_app.command("revoke")
def revoke_command(
    name: Annotated[str, typer.Argument(help="the token's name")],
) -> None:
    """Revoke a token: its requests get 401 from now on."""
    from bot.clock import SystemClock
    from bot.services.api_tokens import TokenError, revoke_token

    async def work(database: Database) -> None:
        async with database.session_factory() as session, session.begin():
            await revoke_token(session, name, SystemClock().now())

    try:
        _with_db(work)
    except TokenError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"token {name} revoked")
