"""`opsbot sandbox`: the Bot API sandbox on a fixed port, with this terminal as one user."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    # The server pulls in aiohttp's web stack; only `opsbot sandbox` should pay for it.
    from bot.sandbox.client import BotOutput, SandboxUser
    from bot.sandbox.server import SandboxServer
    from bot.sandbox.webhook import WebhookDelivery

HELP = (
    "Type a message and press Enter. /press <button text> presses a button, "
    "/doc <path> [caption] sends a file, /quit exits."
)


def sandbox_command(
    port: Annotated[int, typer.Option(help="TCP port to listen on")] = 8081,
    host: Annotated[str, typer.Option(help="address to bind")] = "127.0.0.1",
    user_id: Annotated[int, typer.Option(help="Telegram id of the user you play")] = 1001,
    name: Annotated[str, typer.Option(help="first name of the user you play")] = "Tester",
    fault_rate: Annotated[
        float, typer.Option(help="share of the bot's calls answered with 429/500/502 (0-1)")
    ] = 0.0,
    webhook_url: Annotated[
        str | None,
        typer.Option(help="deliver updates to this webhook from the start (like setWebhook)"),
    ] = None,
    webhook_secret: Annotated[
        str | None, typer.Option(help="secret_token sent with every webhook delivery")
    ] = None,
) -> None:
    """Run the local Telegram Bot API sandbox and chat with the bot from this terminal."""
    if not 0.0 <= fault_rate <= 1.0:
        raise typer.BadParameter("must be between 0 and 1", param_hint="--fault-rate")
    if webhook_secret and not webhook_url:
        raise typer.BadParameter("needs --webhook-url", param_hint="--webhook-secret")
    webhook = (webhook_url, webhook_secret) if webhook_url else None
    with contextlib.suppress(KeyboardInterrupt):
        code = asyncio.run(_serve(host, port, user_id, name, fault_rate, webhook))
        if code:
            raise typer.Exit(code)
    typer.echo("sandbox stopped")


async def _serve(
    host: str,
    port: int,
    user_id: int,
    name: str,
    fault_rate: float,
    webhook: tuple[str, str | None] | None = None,
) -> int:
    from bot.sandbox.client import SandboxUser
    from bot.sandbox.server import SandboxServer

    server = SandboxServer(host=host, port=port)
    server.faults.add_random(fault_rate)
    try:
        await server.start()
    except OSError as exc:
        typer.secho(f"error: cannot listen on {host}:{port}: {exc}", err=True, fg="red")
        return 1
    if webhook is not None and not await _set_webhook(server, *webhook):
        await server.stop()
        return 1
    user = SandboxUser(server, user_id, name)
    server.webhook.on_delivery = _WebhookReport()
    _print_banner(server, user)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    tasks = [
        asyncio.create_task(_print_outputs(user)),
        asyncio.create_task(_read_input(user, stop, _stdin_lines(loop))),
    ]
    try:
        await stop.wait()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        user.close()
        await server.stop()
    return 0


async def _set_webhook(server: SandboxServer, url: str, secret: str | None) -> bool:
    from bot.sandbox.models import ApiError
    from bot.sandbox.validation import Params
    from bot.sandbox.webhook import parse_set_webhook

    try:
        config = parse_set_webhook(Params({"url": url, "secret_token": secret}))
    except ApiError as exc:
        typer.secho(f"error: --webhook-url/--webhook-secret: {exc.description}", err=True, fg="red")
        return False
    if config is None:
        typer.secho("error: --webhook-url is empty", err=True, fg="red")
        return False
    await server.webhook.set(config)
    return True


class _WebhookReport:
    """Webhook trouble in the terminal: each new error once, and the recovery after it."""

    def __init__(self) -> None:
        self.error: str | None = None

    def __call__(self, delivery: WebhookDelivery, error: str | None) -> None:
        if error is not None and error != self.error:
            typer.secho(f"(webhook: {error}; the sandbox keeps retrying)", fg="yellow")
        elif error is None and self.error is not None:
            typer.secho("(webhook: delivering again)", fg="yellow")
        self.error = error


def _print_banner(server: SandboxServer, user: SandboxUser) -> None:
    env = f"TELEGRAM_API_URL={server.base_url} BOT_TOKEN={server.token}"
    typer.echo(f"Telegram sandbox listening on {server.base_url}")
    typer.echo(f"token: {server.token}")
    webhook = server.webhook.config
    if webhook is None:
        workers = f"{env} WEBHOOK_SECRET=<secret>"
        typer.echo("Point the bot at it from another terminal:")
        typer.echo(f"  {env} opsbot run")
        typer.echo("or run webhook workers and register them (the sandbox then POSTs updates):")
        typer.echo(f"  {workers} OPSBOT_HTTP_PORT=8080 opsbot run --webhook")
        typer.echo(f"  {workers} opsbot webhook set --url http://127.0.0.1:8080/telegram/webhook")
    else:
        from yarl import URL

        secret = webhook.secret_token or "<secret>"
        port = URL(webhook.url).port
        if webhook.secret_token is None:
            typer.echo("(no --webhook-secret: opsbot workers refuse deliveries without one)")
        typer.echo(f"Updates go to the webhook {webhook.url}; run the workers with:")
        typer.echo(f"  {env} WEBHOOK_SECRET={secret} OPSBOT_HTTP_PORT={port} opsbot run --webhook")
    typer.echo(f"You are {user.first_name} (user id {user.user_id}). {HELP}")


def _stdin_lines(loop: asyncio.AbstractEventLoop) -> asyncio.Queue[str | None]:
    """Lines typed on stdin; None at end of input.

    A daemon thread reads, so a pending read never blocks Ctrl-C or interpreter exit.
    """
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def pump() -> None:
        try:
            for line in sys.stdin:
                loop.call_soon_threadsafe(queue.put_nowait, line)
            loop.call_soon_threadsafe(queue.put_nowait, None)
        except RuntimeError:
            return  # the loop closed while we were reading

    threading.Thread(target=pump, name="sandbox-stdin", daemon=True).start()
    return queue


async def _read_input(
    user: SandboxUser, stop: asyncio.Event, lines: asyncio.Queue[str | None]
) -> None:
    while True:
        line = await lines.get()
        if line is None:
            typer.echo("(end of input: still serving, Ctrl-C stops)")
            return
        command = line.strip()
        if command == "/quit":
            stop.set()
            return
        if command:
            await _act(user, command)


async def _act(user: SandboxUser, command: str) -> None:
    try:
        if command.startswith("/press "):
            await user.press(command.removeprefix("/press ").strip())
        elif command.startswith("/doc "):
            path, _, caption = command.removeprefix("/doc ").strip().partition(" ")
            data = Path(path).expanduser().read_bytes()
            await user.send_document(Path(path).name, data, caption=caption or None)
        else:
            await user.send(command)
    except (AssertionError, OSError) as exc:
        typer.secho(str(exc), fg="yellow")


async def _print_outputs(user: SandboxUser) -> None:
    while True:
        output = await user.poll_output(timeout=3600)
        if output is not None:
            typer.echo(format_output(output))


def format_output(output: BotOutput) -> str:
    """One bot output as terminal text: the text, then a line per button row."""
    if output.kind == "photo":
        head = f"[photo {len(output.data or b'')} bytes]"
    elif output.kind == "document":
        head = f"[document {output.file_name} {len(output.data or b'')} bytes]"
    elif output.kind == "edit":
        head = f"[edited #{output.message_id}]"
    elif output.kind == "callback_answer":
        head = "[alert]" if output.show_alert else "[answer]"
    else:
        head = ""
    lines = [f"bot: {' '.join(part for part in (head, output.text) if part)}"]
    lines += ["     " + _row(row) for row in output.buttons]
    if output.keyboard:
        lines += ["     keyboard: " + _row(row) for row in output.keyboard]
    elif output.keyboard == []:
        lines.append("     (keyboard removed)")
    return "\n".join(lines)


def _row(texts: list[str]) -> str:
    return " ".join(f"[{text}]" for text in texts)
