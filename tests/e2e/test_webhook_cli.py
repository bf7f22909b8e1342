"""`opsbot webhook set|info|delete` and `opsbot run --webhook` as real commands against the
sandbox, and `opsbot run` refusing to poll while a webhook is set."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import httpx
from typer.testing import CliRunner

from bot.app import create_bot
from bot.cli import app
from bot.sandbox.client import SandboxUser
from bot.sandbox.server import SANDBOX_TOKEN, SandboxServer
from bot.settings import PUBLIC_API_URL
from bot.webhook_cli import check_url

ROOT = Path(__file__).resolve().parents[2]
SECRET = "cli-webhook-secret_0123"
HOOK = "http://127.0.0.1:9/telegram/webhook"


def environment(server: SandboxServer, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "BOT_TOKEN": SANDBOX_TOKEN,
        "TELEGRAM_API_URL": server.base_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/run.db",
        "OPSBOT_ORG": str(ROOT / "examples" / "demo-org.yaml"),
        "LOG_LEVEL": "INFO",
        "WEBHOOK_SECRET": SECRET,
        **extra,
    }
    return {k: v for k, v in env.items() if v != ""}


async def opsbot(*args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def finished(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    proc = await opsbot(*args, env=env)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def test_only_https_unless_the_bot_api_is_not_telegrams() -> None:
    assert check_url("https://bot.example.com/telegram/webhook", PUBLIC_API_URL) is None
    assert "https" in (check_url("http://bot.example.com/telegram/webhook", PUBLIC_API_URL) or "")
    assert check_url("http://127.0.0.1:8080/telegram/webhook", "http://127.0.0.1:8081") is None
    assert check_url("ftp://bot.example.com/x", "http://127.0.0.1:8081") is not None
    assert check_url("bot.example.com", PUBLIC_API_URL) is not None


async def cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """An `opsbot` command in process (in a thread: it runs its own event loop, while the
    sandbox runs on the test's)."""
    runner = CliRunner()
    result = await asyncio.to_thread(runner.invoke, app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


async def set_webhook(server: SandboxServer, url: str) -> None:
    bot = create_bot(SANDBOX_TOKEN, server.base_url)
    try:
        await bot.set_webhook(url, secret_token=SECRET)
    finally:
        await bot.session.close()


async def test_set_info_delete(tmp_path: Path) -> None:
    async with SandboxServer() as server:
        env = environment(server, tmp_path)
        code, out, err = await cli("webhook", "info", env=env)
        assert code == 0, err
        assert (
            out.splitlines()[0] == "no webhook is set: `opsbot run` takes updates by long polling"
        )

        code, out, err = await cli(
            "webhook", "set", "--url", HOOK, "--max-connections", "5", env=env
        )
        assert code == 0, err
        assert out.splitlines()[0] == f"webhook set: Telegram delivers to {HOOK}"
        (call,) = server.calls_to("setWebhook")
        assert call["url"] == HOOK and call["secret_token"] == SECRET
        assert int(call["max_connections"]) == 5
        assert SECRET not in out + err

        code, out, err = await cli("webhook", "info", env=env)
        assert code == 0, err
        lines = out.splitlines()
        assert lines[:3] == [f"webhook: {HOOK}", "pending updates: 0", "max connections: 5"]
        assert "update types: callback_query, message" in lines

        code, out, err = await cli("webhook", "delete", env=env)
        assert code == 0, err
        assert out.startswith("webhook deleted")
        code, out, _ = await cli("webhook", "info", env=env)
        assert out.startswith("no webhook is set")


async def test_set_refuses_without_a_secret_or_with_a_bad_url(tmp_path: Path) -> None:
    async with SandboxServer() as server:
        env = environment(server, tmp_path, WEBHOOK_SECRET="")
        code, _, err = await cli("webhook", "set", "--url", HOOK, env=env)
        assert code == 2
        assert err.strip().startswith("error: WEBHOOK_SECRET is not set")
        env = environment(server, tmp_path)
        code, _, err = await cli("webhook", "set", "--url", "bot.example.com", env=env)
        assert code == 2 and "--url must be an absolute https:// URL" in err
        assert not server.calls_to("setWebhook")


async def test_polling_refuses_while_a_webhook_is_set(tmp_path: Path) -> None:
    async with SandboxServer() as server:
        env = environment(server, tmp_path)
        await set_webhook(server, HOOK)
        code, _, err = await finished("run", env=env)
        assert code == 2
        assert err.strip().splitlines()[-1] == (
            f"error: a webhook is set ({HOOK}): run `opsbot webhook delete` first "
            "or start with --webhook"
        )
        assert not server.calls_to("deleteWebhook") and not server.calls_to("getUpdates")


def test_webhook_mode_needs_its_secret_and_port(tmp_path: Path) -> None:
    base: dict[str, str | None] = {
        "BOT_TOKEN": SANDBOX_TOKEN,
        "OPSBOT_ORG": str(ROOT / "examples" / "demo-org.yaml"),
    }
    runner = CliRunner()
    result = runner.invoke(app, ["run", "--webhook"], env={**base, "WEBHOOK_SECRET": ""})
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("error: WEBHOOK_SECRET is not set")
    env = {**base, "OPSBOT_MODE": "webhook", "WEBHOOK_SECRET": SECRET, "OPSBOT_HTTP_PORT": None}
    result = runner.invoke(app, ["run"], env=env)
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("error: OPSBOT_HTTP_PORT is not set")
    result = runner.invoke(app, ["run", "--webhook"], env={**env, "WEBHOOK_SECRET": "a b"})
    assert result.stderr.strip().startswith("error: WEBHOOK_SECRET is malformed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_ready(port: int, proc: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(300):
            if proc.returncode is not None:
                _, err = await proc.communicate()
                raise AssertionError(f"opsbot run --webhook exited: {err.decode()}")
            try:
                if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("opsbot run --webhook never became ready")


async def test_run_webhook_answers_through_the_webhook_until_sigterm(tmp_path: Path) -> None:
    async with SandboxServer() as server:
        port = free_port()
        env = environment(server, tmp_path, OPSBOT_HTTP_PORT=str(port))
        run = await opsbot("run", "--webhook", env=env)
        try:
            await wait_ready(port, run)
            url = f"http://127.0.0.1:{port}/telegram/webhook"
            await set_webhook(server, url)
            user = SandboxUser(server, 6001, "Lan")
            await user.send("/start")
            reply = await user.next_message(timeout=20)
            assert reply.text
            await server.webhook_idle(10)
            assert {d.outcome for d in server.webhook_deliveries} == {200}
        finally:
            if run.returncode is None:
                run.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(run.communicate(), 30)
        assert run.returncode == 0, err.decode()
        assert SECRET not in err.decode()
        assert not server.calls_to("getUpdates") and not server.calls_to("deleteWebhook")
