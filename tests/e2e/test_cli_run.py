"""`opsbot invite`, `opsbot run` and `opsbot demo` as real commands against the sandbox."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import sys
from pathlib import Path

from bot.demo import run_demo
from bot.sandbox.client import SandboxUser
from bot.sandbox.server import SANDBOX_TOKEN, SandboxServer

ROOT = Path(__file__).resolve().parents[2]


async def _opsbot(*args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
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


async def _wait_for_poll(server: SandboxServer, proc: asyncio.subprocess.Process) -> None:
    # Start-up imports, migrates and loads the org: seconds, up to a minute on a busy machine.
    for _ in range(2400):
        if server.calls_to("getUpdates"):
            return
        if proc.returncode is not None:
            _, err = await proc.communicate()
            raise AssertionError(f"opsbot run exited: {err.decode()}")
        await asyncio.sleep(0.05)
    raise AssertionError("opsbot run never polled")


async def test_invite_command_and_run_until_sigterm(tmp_path: Path) -> None:
    async with SandboxServer() as server:
        env = {
            **os.environ,
            "BOT_TOKEN": SANDBOX_TOKEN,
            "TELEGRAM_API_URL": server.base_url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/run.db",
            "OPSBOT_ORG": str(ROOT / "examples" / "demo-org.yaml"),
            "LOG_LEVEL": "INFO",
        }
        run = await _opsbot("run", env=env)
        await _wait_for_poll(server, run)  # also creates the schema and loads the org

        invite = await _opsbot(
            "invite",
            "--role",
            "staff",
            "--department",
            "growth",
            "--stores",
            "HS-SHOPEE",
            env=env,
        )
        out, err = await invite.communicate()
        assert invite.returncode == 0, err.decode()
        link = out.decode().splitlines()[0]
        assert link.startswith("https://t.me/opsbot_sandbox_bot?start=")

        user = SandboxUser(server, 4001, "Hà")
        await user.send("/start " + link.split("start=")[1])
        reply = await user.next_message(timeout=15)
        assert "Chào mừng Hà" in reply.text

        run.send_signal(signal.SIGTERM)
        _, logs = await asyncio.wait_for(run.communicate(), timeout=30)
        assert run.returncode == 0, logs.decode()
        assert "bot stopped" in logs.decode()
        assert SANDBOX_TOKEN not in logs.decode()


async def test_invite_command_refuses_unknown_department(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db"}
    proc = await _opsbot(
        "invite", "--role", "staff", "--department", "nope", "--bot-username", "b", env=env
    )
    _, err = await proc.communicate()
    assert proc.returncode == 2
    assert "nope" in err.decode() and "Traceback" not in err.decode()


async def test_demo_plays_onboarding(tmp_path: Path) -> None:
    stream = io.StringIO()
    status = await run_demo(tmp_path / "out", stream=stream)
    text = stream.getvalue()
    assert status == 0, text
    assert "Chào mừng Chị Lan" in text
    assert "Chị Lan presses [Quản lý]" in text
    assert "Your commands (Staff · Growth)" in text
    assert "Mã mời này đã được sử dụng" in text
    assert "KPI alert · HS-SHOPEE" in text and "Acknowledged by Minh" in text  # alerts scene
    assert "Tổng hợp ngày" in text  # the board's daily digest
    # numbers without typing: a Shopee export in chat, then a push to the HTTP API
    assert "Preview of «Order.all." in text and "(old value by Minh)" in text
    assert "✅ Saved HS-SHOPEE's numbers from «Order.all." in text
    assert "Nothing changed: every number in the file was saved before." in text
    assert "$ curl -s -X POST http://127.0.0.1:" in text and "/api/v1/values" in text
    assert '"status": "updated", "revision": 2' in text and "Idempotent-Replayed: true" in text
    assert "HS-TIKTOK (Hạnh, Minh) · 🔌 API" in text  # /status names the source
    assert (tmp_path / "out" / "transcript.txt").read_text(encoding="utf-8").strip()
