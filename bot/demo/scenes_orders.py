"""Demo scenes of order requests: the Growth manager orders a banner from Design; the Design
manager approves and assigns it; the designer delivers a file, is asked once for changes,
delivers again, and the banner is accepted.

Notifications travel through the outbox; the scenes wait for the bot's sender after each step.
"""

from __future__ import annotations

import re
import struct
import zlib
from typing import TYPE_CHECKING

from bot.delivery import Rate, RateLimits
from bot.sandbox.client import SandboxUser

if TYPE_CHECKING:
    from bot.demo.scenario import Scenario, Scene

UNLIMITED = RateLimits(
    overall=Rate(10_000, 1.0), private_chat=Rate(10_000, 1.0), group_chat=Rate(10_000, 1.0)
)
_NUMBER = re.compile(r"#(\d+)")


def order_scenes(scenario: Scenario) -> list[Scene]:
    demo = OrdersDemo(scenario)
    return [
        ("The admin invites a Design manager, who invites a designer", demo.design_team_joins),
        ("The Growth manager orders a banner from Design with /order", demo.order_banner),
        ("The Design manager approves and assigns it to the designer", demo.approve_and_assign),
        ("The designer starts and delivers a file; the requester asks for changes", demo.reopen),
        ("The designer delivers again; the banner is accepted", demo.accept),
        ("/order shows the request with its whole timeline", demo.details),
    ]


def banner_png(width: int = 240, height: int = 120, version: int = 1) -> bytes:
    """A small solid-colour PNG standing in for the designer's banner."""
    colour = bytes((200, 30, 40)) if version == 1 else bytes((230, 60, 60))
    raw = b"".join(b"\x00" + colour * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


class OrdersDemo:
    def __init__(self, scenario: Scenario) -> None:
        self.s = scenario
        self.mai = SandboxUser(scenario.server, 1201, "Chị Mai", "mai_design", "vi")
        self.vy = SandboxUser(scenario.server, 1202, "Vy", "vy_design", "vi")
        self.number = 0

    async def _invite(self, inviter: SandboxUser, line: str, newcomer: SandboxUser) -> None:
        inviter.drain()
        reply = await self.s.say(inviter, line)
        match = re.search(r"start=([A-Za-z0-9_-]+)", reply)
        if match is None:
            raise AssertionError(f"no invite link in: {reply!r}")
        await self.s.say(newcomer, f"/start {match.group(1)}")

    async def design_team_joins(self) -> None:
        await self._invite(self.s.lan, "/invite manager design", self.mai)
        await self._invite(self.mai, "/invite staff design", self.vy)

    async def _tap(self, user: SandboxUser, button: str) -> str:
        await self.s.press(user, button)
        return (await user.next_message()).text

    async def order_banner(self) -> None:
        tuan = self.s.tuan
        tuan.drain()
        await self.s.say(tuan, "/order")
        await self._tap(tuan, "Thiết kế banner")
        await self._tap(tuan, "HS-SHOPEE · Hoa Sen Official Store (Shopee)")
        await self._tap(tuan, "1200x1200")
        await self.s.say(tuan, "Banner sale 12.12 cho Hoa Sen, tông đỏ, có logo và mã giảm 50k")
        await self.s.say(tuan, "hôm qua")  # in the past: refused with an example
        await self.s.say(tuan, "thứ 6 tuần sau 14h")
        await self._tap(tuan, "⏭ Bỏ qua")
        receipt = await self._tap(tuan, "📨 Gửi yêu cầu")
        match = _NUMBER.search(receipt)
        if match is None:
            raise AssertionError(f"no request number in: {receipt!r}")
        self.number = int(match.group(1))

    async def approve_and_assign(self) -> None:
        await self.s.delivered()
        await self.mai.next_message()
        await self._tap(self.mai, "✅ Duyệt")
        await self._tap(self.mai, "👤 Giao việc")
        await self._tap(self.mai, "👤 Vy")

    async def reopen(self) -> None:
        await self.s.delivered()
        await self.vy.next_message()
        await self._tap(self.vy, "▶️ Bắt đầu")
        await self._tap(self.vy, "📦 Giao kết quả")
        await self.vy.send_document("banner_hoasen_1212_v1.png", banner_png(version=1))
        await self.vy.next_message()
        await self.s.delivered()
        self.s.tuan.drain()
        await self._tap(self.s.tuan, "🔁 Làm lại")
        await self.s.say(self.s.tuan, "Logo to hơn một chút, và thêm chữ «Freeship»")

    async def accept(self) -> None:
        await self.s.delivered()
        self.vy.drain()
        await self._tap(self.vy, "📦 Giao kết quả")
        await self.vy.send_document("banner_hoasen_1212_v2.png", banner_png(version=2))
        await self.vy.next_message()
        await self.s.delivered()
        self.s.tuan.drain()
        await self._tap(self.s.tuan, "👍 Nghiệm thu")
        await self.s.delivered()

    async def details(self) -> None:
        self.s.tuan.drain()
        text = await self.s.say(self.s.tuan, f"/order {self.number}")
        if "Đã nghiệm thu" not in text:
            raise AssertionError(f"request #{self.number} is not accepted: {text!r}")
