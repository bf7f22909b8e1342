"""`opsbot sandbox`: a real process, a real aiogram Bot on one side and stdin on the other."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import typer
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup
from sandbox_support import PNG
from typer.testing import CliRunner

from bot.sandbox.cli import format_output, sandbox_command
from bot.sandbox.client import BotOutput
from bot.sandbox.server import SandboxServer

BANNER = re.compile(r"TELEGRAM_API_URL=(\S+) BOT_TOKEN=(\S+) opsbot run")


@dataclass
class SandboxProcess:
    proc: asyncio.subprocess.Process
    base_url: str
    token: str

    async def read_until(self, needle: str, timeout: float = 5) -> str:
        assert self.proc.stdout is not None
        seen: list[str] = []
        async with asyncio.timeout(timeout):
            while needle not in "".join(seen):
                line = await self.proc.stdout.readline()
                if not line:
                    break
                seen.append(line.decode())
        text = "".join(seen)
        assert needle in text, text
        return text

    async def type(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        await self.proc.stdin.drain()


@pytest.fixture
async def sandbox_process() -> AsyncIterator[SandboxProcess]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "sandbox",
        "--port",
        "0",
        "--user-id",
        "1001",
        "--name",
        "Tester",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    banner = ""
    async with asyncio.timeout(15):
        while not (match := BANNER.search(banner)):
            line = await proc.stdout.readline()
            assert line, f"sandbox exited early: {banner}"
            banner += line.decode()
    yield SandboxProcess(proc, match.group(1), match.group(2))
    if proc.returncode is None:
        proc.kill()
        await proc.wait()


async def test_terminal_user_talks_to_a_bot(sandbox_process: SandboxProcess) -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(sandbox_process.base_url))
    bot = Bot(sandbox_process.token, session=session)
    try:
        await sandbox_process.type("hello bot")
        [update] = await bot.get_updates(timeout=5)
        assert update.message is not None and update.message.text == "hello bot"
        assert (
            update.message.from_user is not None and update.message.from_user.first_name == "Tester"
        )
        keyboard = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Yes", callback_data="y")]]
        )
        await bot.send_message(1001, "<b>Pick</b> one", parse_mode="HTML", reply_markup=keyboard)
        shown = await sandbox_process.read_until("[Yes]")
        assert "bot: Pick one" in shown
        await bot.send_photo(1001, BufferedInputFile(PNG, "c.png"))
        await sandbox_process.read_until(f"[photo {len(PNG)} bytes]")
        await sandbox_process.type("/press Nope")
        await sandbox_process.read_until("cannot press 'Nope'")
        await sandbox_process.type("/press Yes")
        [press] = await bot.get_updates(offset=update.update_id + 1, timeout=5)
        assert press.callback_query is not None and press.callback_query.data == "y"
        await sandbox_process.type("/quit")
        async with asyncio.timeout(5):
            assert await sandbox_process.proc.wait() == 0
        await sandbox_process.read_until("sandbox stopped")
    finally:
        await bot.session.close()


async def test_end_of_input_keeps_serving_until_ctrl_c(sandbox_process: SandboxProcess) -> None:
    assert sandbox_process.proc.stdin is not None
    sandbox_process.proc.stdin.close()
    await sandbox_process.read_until("still serving")
    sandbox_process.proc.send_signal(signal.SIGINT)
    async with asyncio.timeout(5):
        assert await sandbox_process.proc.wait() == 0
    await sandbox_process.read_until("sandbox stopped")


def test_busy_port_is_reported(server: SandboxServer) -> None:
    app = typer.Typer()
    app.command()(sandbox_command)
    result = CliRunner().invoke(app, ["--port", str(server.port)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{server.port}" in result.output


def test_format_output() -> None:
    message = BotOutput("message", 1, 3, "Chọn", buttons=[["A", "B"], ["C"]], keyboard=[["Menu"]])
    assert format_output(message) == "bot: Chọn\n     [A] [B]\n     [C]\n     keyboard: [Menu]"
    photo = BotOutput("photo", 1, 4, "", data=b"12345")
    assert format_output(photo) == "bot: [photo 5 bytes]"
    alert = BotOutput("callback_answer", 1, 3, "Sai mã", show_alert=True)
    assert format_output(alert) == "bot: [alert] Sai mã"
