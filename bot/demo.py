"""`opsbot demo`: the sandbox and the real bot in one process, played by scripted users.

Every later feature adds its scene here. The chat transcript is printed as it happens and
written to `<output>/transcript.txt`; images the bot sends are saved to the same folder.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import textwrap
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TextIO

from bot.app import BotOptions, BotRuntime, create_bot
from bot.clock import Clock, SystemClock
from bot.org.loader import load_org
from bot.org.schema import OrgConfig
from bot.org.sync import sync_org
from bot.roles import Role
from bot.sandbox.client import SandboxUser
from bot.sandbox.models import ChatEvent
from bot.sandbox.server import SANDBOX_TOKEN, SandboxServer
from bot.services.onboarding import InviteRequest, create_invite, deep_link
from storage.database import Database, open_database

DEMO_ORG = Path(__file__).resolve().parent.parent / "examples" / "demo-org.yaml"
_TOKEN_IN_LINK = re.compile(r"start=([A-Za-z0-9_-]+)")
log = logging.getLogger(__name__)


class Transcript:
    """Prints what happens in every chat, and keeps the images the bot sent."""

    def __init__(self, output: Path, stream: TextIO) -> None:
        self.output = output
        self.stream = stream
        self.file = (output / "transcript.txt").open("w", encoding="utf-8")
        self.images: list[Path] = []

    def close(self) -> None:
        self.file.close()

    def write(self, line: str = "") -> None:
        print(line, file=self.stream, flush=True)
        print(line, file=self.file, flush=True)

    def scene(self, title: str) -> None:
        self.write()
        self.write(f"━━ {title} ━━")

    def on_event(self, event: ChatEvent) -> None:
        if event.kind == "callback_answer":
            if event.text:
                self.write(f"   (toast for {event.user}: {event.text})")
            return
        if event.kind == "button_press":
            self.write(f"👆 {event.user} presses [{event.text}]")
            return
        if not event.from_bot:
            self.write(f"🧑 {event.user}: {event.text}")
            return
        self._bot_event(event)

    def _bot_event(self, event: ChatEvent) -> None:
        label = {"bot_edit": "✏️  bot (edit)"}.get(event.kind, "🤖 bot")
        text = event.text
        if event.kind in ("bot_photo", "bot_document") and event.data is not None:
            path = self._save(event)
            text = f"[{event.kind.removeprefix('bot_')} saved to {path}] {text}"
        self.write(f"{label} → {event.user}:")
        self.write(textwrap.indent(text, "   "))
        for row in event.buttons:
            self.write("   " + "  ".join(f"[{b}]" for b in row))

    def _save(self, event: ChatEvent) -> Path:
        name = event.file_name or f"image-{len(self.images) + 1}.png"
        path = self.output / f"{len(self.images) + 1:02d}-{name}"
        path.write_bytes(event.data or b"")
        self.images.append(path)
        return path


def invite_token(text: str) -> str:
    match = _TOKEN_IN_LINK.search(text)
    if match is None:
        raise AssertionError(f"no invite link in: {text!r}")
    return match.group(1)


class Scenario:
    """The scripted story. Each scene is a method; a failed expectation stops the demo."""

    def __init__(
        self,
        server: SandboxServer,
        database: Database,
        clock: Clock,
        transcript: Transcript,
        pause: float,
    ) -> None:
        self.server = server
        self.database = database
        self.clock = clock
        self.out = transcript
        self.pause = pause
        self.lan = SandboxUser(server, 1001, "Chị Lan", "lan_admin", "vi")
        self.tuan = SandboxUser(server, 1002, "Anh Tuấn", "tuan_growth", "vi")
        self.minh = SandboxUser(server, 1003, "Minh", "minh_shop", "vi")
        self.hanh = SandboxUser(server, 1004, "Hạnh", "hanh_shop", "vi")
        self.stranger = SandboxUser(server, 1999, "Người lạ", None, "vi")

    async def say(self, user: SandboxUser, text: str) -> str:
        await user.send(text)
        reply = await user.next_message()
        await self._breathe()
        return reply.text

    async def press(self, user: SandboxUser, button: str) -> None:
        await user.press(button)
        await self._breathe()

    async def _breathe(self) -> None:
        if self.pause:
            await asyncio.sleep(self.pause)

    def scenes(self) -> list[tuple[str, Callable[[], Awaitable[None]]]]:
        return [
            ("1. The first admin is invited from the command line", self.admin_joins),
            ("2. The admin invites a Growth manager with buttons", self.manager_joins),
            ("3. The manager invites a staff member for two stores", self.staff_joins),
            ("4. /help differs by role", self.help_by_role),
            ("5. Strangers and reused links get nothing", self.strangers_refused),
            ("6. Minh reports step by step, with one mistyped value", self.report_step_by_step),
            ("7. Hạnh pastes her whole report in one message", self.report_in_one_message),
            ("8. Minh corrects GMV: a new revision, old → new", self.report_correction),
            ("9. The manager checks who has reported", self.status),
            ("10. Minh switches to English", self.english),
        ]

    async def play(self) -> None:
        for title, scene in self.scenes():
            self.out.scene(title)
            await scene()

    async def admin_joins(self) -> None:
        async with self.database.session_factory() as session, session.begin():
            invite = await create_invite(
                session, InviteRequest(role=Role.ADMIN), inviter=None, now=self.clock.now()
            )
        link = deep_link("opsbot_sandbox_bot", invite.token)
        self.out.write(f"$ opsbot invite --role admin\n{link}")
        await self.say(self.lan, f"/start {invite.token}")

    async def manager_joins(self) -> None:
        await self.say(self.lan, "/invite")
        await self.press(self.lan, "Quản lý")
        await self.lan.next_edit()
        await self.press(self.lan, "Tăng trưởng")
        await self.lan.next_edit()
        link = await self.lan.next_message()
        await self.say(self.tuan, f"/start {invite_token(link.text)}")

    async def staff_joins(self) -> None:
        await self.say(self.tuan, "/invite")
        await self.press(self.tuan, "Nhân viên")
        await self.tuan.next_edit()
        for store in ("HS-SHOPEE", "HS-TIKTOK"):
            await self.press(self.tuan, f"▫️ {store}")
            await self.tuan.next_edit()
        await self.press(self.tuan, "✔️ Xong")
        await self.tuan.next_edit()
        link = await self.tuan.next_message()
        self.token_used_by_minh = invite_token(link.text)
        await self.say(self.minh, f"/start {self.token_used_by_minh}")

    async def help_by_role(self) -> None:
        for user in (self.minh, self.tuan):
            await self.say(user, "/help")

    async def strangers_refused(self) -> None:
        await self.say(self.stranger, "/start")
        await self.say(self.stranger, "cho xem doanh thu hôm qua")
        await self.say(self.stranger, f"/start {self.token_used_by_minh}")

    async def _open_store_report(self, user: SandboxUser, store_button: str) -> None:
        await self.say(user, "/report")
        await self.press(user, store_button)
        await user.next_edit()
        await user.next_message()

    async def report_step_by_step(self) -> None:
        await self._open_store_report(self.minh, "▫️ HS-SHOPEE · Hoa Sen Official Store (Shopee)")
        for answer in ("12,5tr", "11 triệu", "8S", "85", "3", "2", "3.200", "1tr2"):
            await self.say(self.minh, answer)
        await self.press(self.minh, "✅ Xác nhận")
        await self.minh.next_message()

    async def report_in_one_message(self) -> None:
        reply = await self.say(self.tuan, "/invite staff growth HS-TIKTOK")
        await self.say(self.hanh, f"/start {invite_token(reply)}")
        await self.say(self.hanh, "/report")
        await self.say(
            self.hanh,
            "doanh thu 8,2tr\nthực thu 7tr6\nđơn 61\nhủy 2\nhoàn 1\n"
            "lượt truy cập 2.450\nchi phí ads 950k",
        )
        await self.press(self.hanh, "✅ Xác nhận")
        await self.hanh.next_message()

    async def report_correction(self) -> None:
        await self.say(self.minh, "/report")
        await self.press(self.minh, "✅ HS-SHOPEE · Hoa Sen Official Store (Shopee)")
        await self.minh.next_edit()
        await self.minh.next_message()
        await self.minh.next_message()
        await self.say(self.minh, "gmv 13tr")
        await self.press(self.minh, "✅ Xác nhận")
        await self.minh.next_message()
        await self.say(self.minh, "/history HS-SHOPEE")

    async def status(self) -> None:
        await self.say(self.tuan, "/status")

    async def english(self) -> None:
        await self.say(self.minh, "/lang")
        await self.press(self.minh, "🇬🇧 English")
        await self.minh.next_edit()
        await self.say(self.minh, "/help")


async def _prepare_database(output: Path) -> tuple[Database, OrgConfig]:
    db_file = output / "demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    database = await open_database(f"sqlite+aiosqlite:///{db_file}")
    org = load_org(DEMO_ORG)
    async with database.session_factory() as session, session.begin():
        await sync_org(session, org)
    return database, org


async def run_demo(output: Path, *, pause: float = 0.0, stream: TextIO = sys.stdout) -> int:
    """Play the scenario; 0 when every expected answer arrived, 1 otherwise."""
    logging.basicConfig(level=logging.WARNING)
    output.mkdir(parents=True, exist_ok=True)
    transcript = Transcript(output, stream)
    clock = SystemClock()
    async with SandboxServer() as server:
        server.add_listener(transcript.on_event)
        database, org = await _prepare_database(output)
        options = BotOptions(polling_timeout=1)
        runtime = BotRuntime(
            bot=create_bot(SANDBOX_TOKEN, server.base_url),
            database=database,
            clock=clock,
            org=org,
            options=options,
        )
        await runtime.start()
        transcript.write(f"opsbot demo: sandbox at {server.base_url}, org {DEMO_ORG.name}")
        try:
            await Scenario(server, database, clock, transcript, pause).play()
            status = 0
        except AssertionError as failure:
            transcript.write(f"\nDEMO FAILED: {failure}")
            status = 1
        finally:
            await runtime.stop()
            await database.close()
    transcript.write()
    transcript.write(f"Transcript: {output / 'transcript.txt'}")
    images = ", ".join(str(p) for p in transcript.images) or "none in these scenes"
    transcript.write(f"Images written to {output}/: {images}")
    transcript.close()
    return status
