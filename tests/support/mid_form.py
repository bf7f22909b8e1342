"""Commands typed in the middle of a form, as a member would: each one must run (its own reply
arrives), leave the form's state and data in the database exactly as they were, and be followed
by one line saying how to go on; a command that opens another form asks first, and "keep"
changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bot.sandbox.client import BotOutput, SandboxUser
from storage.models import FsmRecord
from support.bot_harness import BotUnderTest

FormState = tuple[str | None, dict[str, Any]]
Probe = tuple[str, tuple[str, ...]]  # a command, and texts one of which its reply contains

# Bare "/" and an unknown command: "no such command", with one that exists.
UNKNOWN: tuple[Probe, ...] = (
    ("/", ("Không có lệnh «/»",)),
    ("/foo bar", ("Không có lệnh «/foo bar»",)),
)
# Commands that open a form of their own: asked first.
OPENERS = ("/report", "/order", "/invite")
NOT_UNDERSTOOD = ("Tôi chưa hiểu tin nhắn này",)  # a command the role may not use, as anywhere
STALE = "hết hiệu lực"
KEEP = "↩️ Tiếp tục điền"


def read_only(department: str) -> tuple[Probe, ...]:
    """A manager's commands that open no form, each with what its reply contains."""
    return (
        ("/history HS-SHOPEE", ("HS-SHOPEE",)),
        ("/orders", ("Yêu cầu —",)),
        ("/export", ("11/2026",)),
        ("/status", ("Tình hình báo cáo",)),
        ("/kpi HS-SHOPEE", ("Hoa Sen Official Store", "chưa phụ trách")),
        ("/dept", ("11/2026", "yêu cầu đặt việc")),  # a department taking requests: their chart
        ("/plan HS-SHOPEE", ("HS-SHOPEE",)),
        ("/order 1", ("#1",)),
        ("/off 25/11", ("25/11",)),
        ("/me", ("Tháng 11/2026",)),
        ("/help", ("Các lệnh dành cho bạn",)),
        ("/start", ("bạn đang là",)),
        ("/lang", ("Chọn ngôn ngữ",)),
        (f"/invite staff {department}", ("Đã tạo link mời",)),
    )


async def form_state(app: BotUnderTest, user: SandboxUser) -> FormState:
    """The FSM state and data of the user's private chat, read from the database once the bot
    has finished (and committed) every update it was handling."""
    assert app.runtime is not None
    assert await app.runtime.in_flight.wait_idle(10), "the bot is still busy"
    async with app.db.session_factory() as session:
        rows = (await session.scalars(select(FsmRecord))).all()
    mine = [r for r in rows if f":{user.user_id}:{user.user_id}:" in r.key]
    if not mine:
        return None, {}
    assert len(mine) == 1, [r.key for r in mine]
    return mine[0].state, dict(mine[0].data or {})


@dataclass
class MidForm:
    """One member in the middle of one form; ``still`` is what the "how to go on" line says."""

    app: BotUnderTest
    user: SandboxUser
    still: str

    async def command(self, text: str, expected: Sequence[str]) -> BotOutput:
        """``text`` runs: its reply, then how to go on; the form is unchanged."""
        before = await form_state(self.app, self.user)
        assert before[0] is not None, "no form in progress"
        await self.user.send(text)
        reply = await self.user.next_message(timeout=20)
        assert any(e in reply.text for e in expected), (text, reply.text)
        line = await self.user.next_message()
        assert self.still in line.text and "/cancel" in line.text, (text, line.text)
        assert await form_state(self.app, self.user) == before, text
        return reply

    async def asked_to_leave(self, text: str) -> BotOutput:
        """``text`` opens another form: the member is asked first, the form is untouched."""
        before = await form_state(self.app, self.user)
        await self.user.send(text)
        ask = await self.user.next_message()
        assert "Bỏ dở để chạy" in ask.text and text in ask.text, ask.text
        assert ask.button_texts == [f"🚪 Bỏ dở, chạy {text}", KEEP], ask.button_texts
        state, data = await form_state(self.app, self.user)
        assert data.pop("form_switch")["command"] == text  # the question, next to the form
        assert (state, data) == before
        return ask

    async def kept(self, text: str) -> None:
        """Asked to leave for ``text``, the member keeps the form: nothing changes."""
        before = await form_state(self.app, self.user)
        ask = await self.asked_to_leave(text)
        await self.user.press(KEEP, ask)
        assert not (await self.user.next_callback_answer()).text
        answered = await self.user.next_edit()
        while answered.message_id != ask.message_id:  # earlier edits of the form itself
            answered = await self.user.next_edit()
        assert answered.buttons == []  # the question is answered: its buttons are gone
        reply = await self.user.next_message()
        assert "không mất gì" in reply.text and self.still in reply.text, reply.text
        assert await form_state(self.app, self.user) == before

    async def every_kind(self, department: str) -> None:
        """Read-only commands, unknown ones, and every form opener kept."""
        for text, expected in (*read_only(department), *UNKNOWN):
            await self.command(text, expected)
        for text in OPENERS:
            await self.kept(text)
