"""`opsbot run` with OPSBOT_HTTP_PORT serves the API in the bot's process, next to polling the
sandbox Bot API, and stops both gracefully on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import httpx

from bot.sandbox.server import SANDBOX_TOKEN, SandboxServer

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _wait_for_health(client: httpx.AsyncClient, proc: asyncio.subprocess.Process) -> None:
    for _ in range(600):
        if proc.returncode is not None:
            _, err = await proc.communicate()
            raise AssertionError(f"opsbot run exited: {err.decode()}")
        try:
            if (await client.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError("the HTTP API never answered")


async def test_run_serves_the_api_next_to_the_bot(tmp_path: Path) -> None:
    port = free_port()
    async with SandboxServer() as server:
        env = {
            **os.environ,
            "BOT_TOKEN": SANDBOX_TOKEN,
            "TELEGRAM_API_URL": server.base_url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/run.db",
            "OPSBOT_ORG": str(ROOT / "examples" / "demo-org.yaml"),
            "OPSBOT_HTTP_PORT": str(port),
            "LOG_LEVEL": "INFO",
        }
        run = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=ROOT,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            await _wait_for_health(client, run)
            assert (await client.get("/healthz")).json() == {"status": "ok"}
            schema = (await client.get("/api/openapi.json")).json()
            assert "/api/v1/values" in schema["paths"]
            refused = await client.post("/api/v1/values", json={"items": []})
            assert refused.status_code == 401
            assert server.calls_to("getUpdates")  # the bot polls in the same process

        run.send_signal(signal.SIGTERM)
        _, logs = await asyncio.wait_for(run.communicate(), timeout=30)
        text = logs.decode()
        assert run.returncode == 0, text
        assert f"http api listening on 127.0.0.1:{port}" in text
        assert "http api stopped" in text and "bot stopped" in text
        assert text.index("http api stopped") < text.index("bot stopped")


async def test_a_busy_port_is_a_one_line_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with SandboxServer() as server:
            env = {
                **os.environ,
                "BOT_TOKEN": SANDBOX_TOKEN,
                "TELEGRAM_API_URL": server.base_url,
                "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/run.db",
                "OPSBOT_ORG": str(ROOT / "examples" / "demo-org.yaml"),
                "OPSBOT_HTTP_PORT": str(port),
            }
            run = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=env, cwd=ROOT,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            _, err = await asyncio.wait_for(run.communicate(), timeout=60)
    assert run.returncode == 2
    assert "OPSBOT_HTTP_PORT: cannot serve the HTTP API" in err.decode()
    assert "Traceback" not in err.decode()
