"""The scripted story of `opsbot demo`: the people, their helpers and the core scenes.

Feature areas add their scenes in their own modules (``scenes_*.py``); ``Scenario.scenes``
lists every scene in the order they are played.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable

from bot.clock import Clock
from bot.delivery.sender import DEFAULT_LEASE
from bot.demo.transcript import Transcript
from bot.roles import Role
from bot.sandbox.client import SandboxUser
from bot.sandbox.server import SandboxServer
from bot.services.onboarding import InviteRequest, create_invite, deep_link
from storage.database import Database
from storage.repositories import outbox

_TOKEN_IN_LINK = re.compile(r"start=([A-Za-z0-9_-]+)")

Scene = tuple[str, Callable[[], Awaitable[None]]]


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

    async def delivered(self, timeout: float = 60.0) -> None:
        """Wait until the bot's outbox sender has sent everything queued and due so far (alert
        charts are drawn as they are sent: a loaded machine takes a while)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            async with self.database.session_factory() as session:
                # Rows being sent are leased a little into the future: count them too.
                due = await outbox.count_due(session, self.clock.now() + DEFAULT_LEASE)
            if not due:
                await asyncio.sleep(0.2)  # the last answers reach the users
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the bot did not deliver its queued messages")

    async def _breathe(self) -> None:
        if self.pause:
            await asyncio.sleep(self.pause)

    def scenes(self) -> list[Scene]:
        """Every scene in playing order; feature modules append theirs (``scenes_*.py``)."""
        from bot.demo.scenes_alerts import alert_scenes
        from bot.demo.scenes_discipline import discipline_scenes
        from bot.demo.scenes_ingest import ingest_scenes
        from bot.demo.scenes_kpi import kpi_scenes
        from bot.demo.scenes_orders import order_scenes
        from bot.demo.scenes_plans import plan_scenes

        return [
            *self.core_scenes(),
            *discipline_scenes(self),
            *kpi_scenes(self),
            *order_scenes(self),
            *alert_scenes(self),
            *plan_scenes(self),
            *ingest_scenes(self),
        ]

    def core_scenes(self) -> list[Scene]:
        return [
            ("The first admin is invited from the command line", self.admin_joins),
            ("The admin invites a Growth manager with buttons", self.manager_joins),
            ("The manager invites a staff member for two stores", self.staff_joins),
            ("/help differs by role", self.help_by_role),
            ("Strangers and reused links get nothing", self.strangers_refused),
            ("Minh reports step by step, with one mistyped value", self.report_step_by_step),
            ("Hạnh pastes her whole report in one message", self.report_in_one_message),
            ("Minh corrects GMV: a new revision, old → new", self.report_correction),
            ("The manager checks who has reported", self.status),
            ("Minh switches to English", self.english),
        ]

    async def play(self) -> None:
        for number, (title, scene) in enumerate(self.scenes(), start=1):
            self.out.scene(f"{number}. {title}")
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
