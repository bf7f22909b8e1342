"""`opsbot webhook set|info|delete`: registering the webhook is a deliberate act.

Workers never call setWebhook or deleteWebhook when they start, so a rolling restart drops
nothing Telegram holds; and `opsbot run` without --webhook refuses to start while one is set.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, TypeVar
from urllib.parse import urlsplit

import typer

from bot.cli_support import fail

if TYPE_CHECKING:
    from aiogram import Bot

    from bot.settings import Settings

T = TypeVar("T")
WEBHOOK_PATH = "/telegram/webhook"

webhook_app = typer.Typer(
    help="The Telegram webhook of the worker processes (opsbot run --webhook).",
    no_args_is_help=True,
)


def _with_bot(work: Callable[[Bot, Settings], Awaitable[T]]) -> T:
    from aiogram.exceptions import TelegramAPIError, TelegramNetworkError

    from bot.app import create_bot
    from bot.settings import SettingsError, load_settings

    try:
        settings = load_settings()
        token = settings.require_token()
    except SettingsError as exc:
        raise fail(str(exc)) from None

    async def run() -> T:
        bot = create_bot(token, settings.telegram_api_url)
        try:
            return await work(bot, settings)
        finally:
            await bot.session.close()

    try:
        return asyncio.run(run())
    except SettingsError as exc:
        raise fail(str(exc)) from None
    except TelegramNetworkError as exc:
        raise fail(f"cannot reach the Bot API at {settings.telegram_api_url}: {exc}") from None
    except TelegramAPIError as exc:
        raise fail(f"the Bot API refused: {exc.message}") from None


def check_url(url: str, api_url: str) -> str | None:
    """Why ``url`` cannot be the webhook, or None. Telegram only delivers to https; a local Bot
    API server (the sandbox) may deliver to plain http."""
    from bot.settings import PUBLIC_API_URL

    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        return f"--url must be an absolute https:// URL, e.g. https://bot.example.com{WEBHOOK_PATH}"
    if parts.scheme == "http" and api_url == PUBLIC_API_URL:
        return f"--url must use https:// (Telegram delivers to https only), got {url}"
    return None


@webhook_app.command("set")
def set_command(
    url: Annotated[
        str,
        typer.Option(help=f"where Telegram delivers, e.g. https://bot.example.com{WEBHOOK_PATH}"),
    ],
    max_connections: Annotated[
        int, typer.Option(min=1, max=100, help="deliveries in flight at once (1-100)")
    ] = 40,
    drop_pending: Annotated[
        bool, typer.Option("--drop-pending", help="forget the updates waiting to be delivered")
    ] = False,
) -> None:
    """Register the webhook, with WEBHOOK_SECRET as the secret every delivery carries."""
    from bot.app import used_update_types
    from bot.settings import SettingsError

    async def work(bot: Bot, settings: Settings) -> None:
        problem = check_url(url, settings.telegram_api_url)
        if problem:
            raise SettingsError(problem)
        secret = settings.require_webhook()
        await bot.set_webhook(
            url,
            secret_token=secret,
            max_connections=max_connections,
            drop_pending_updates=drop_pending,
            allowed_updates=used_update_types(),
        )

    _with_bot(work)
    typer.echo(f"webhook set: Telegram delivers to {url}")
    typer.echo(f"at most {max_connections} deliveries at once, each with the secret WEBHOOK_SECRET")
    if drop_pending:
        typer.echo("updates that were waiting were dropped")
    typer.echo("start the workers with: opsbot run --webhook")


@webhook_app.command("info")
def info_command() -> None:
    """Show where Telegram delivers, how many updates wait and the last delivery error."""

    async def work(bot: Bot, settings: Settings) -> list[str]:
        info = await bot.get_webhook_info()
        if not info.url:
            return [
                "no webhook is set: `opsbot run` takes updates by long polling",
                f"pending updates: {info.pending_update_count}",
            ]
        lines = [
            f"webhook: {info.url}",
            f"pending updates: {info.pending_update_count}",
            f"max connections: {info.max_connections or 40}",
        ]
        if info.allowed_updates:
            lines.append(f"update types: {', '.join(info.allowed_updates)}")
        if info.last_error_date:
            at = _when(info.last_error_date)
            lines.append(f"last error: {info.last_error_message or 'unknown'} (at {at})")
        else:
            lines.append("last error: none")
        return lines

    for line in _with_bot(work):
        typer.echo(line)


@webhook_app.command("delete")
def delete_command(
    drop_pending: Annotated[
        bool, typer.Option("--drop-pending", help="forget the updates waiting to be delivered")
    ] = False,
) -> None:
    """Remove the webhook (then `opsbot run` may poll again)."""

    async def work(bot: Bot, settings: Settings) -> None:
        await bot.delete_webhook(drop_pending_updates=drop_pending)

    _with_bot(work)
    typer.echo("webhook deleted: Telegram keeps updates for `opsbot run` (long polling)")
    if drop_pending:
        typer.echo("updates that were waiting were dropped")


def _when(value: datetime | int) -> str:
    if isinstance(value, int):
        value = datetime.fromtimestamp(value, UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
