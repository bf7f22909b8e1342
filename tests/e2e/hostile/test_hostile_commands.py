"""Hostile command arguments (/kpi, /dept, /plan, /export, /invite, /off), the /invite form's
steps, a day off's reason on its way to the manager, and plan files with hostile names and cells.

Every input gets a reply Telegram accepts, never the internal error text; what a form held
before stays, and what it saves at the end is what was chosen.
"""

from __future__ import annotations

import io
from datetime import timedelta
from itertools import count

import pytest
from hypothesis import example, given
from openpyxl import Workbook
from sqlalchemy import delete, select
from support.bot_harness import BotUnderTest
from support.hostile import (
    CORPUS,
    FUZZ,
    HOSTILE,
    Watch,
    check_clean,
    form_state,
    probe,
    settle,
    tap,
    texts,
    with_corpus,
)
from support.outbox_delivery import deliver_outbox

from bot.roles import Role
from bot.sandbox.client import BotOutput, SandboxUser
from storage.models import DayOff, Invite, Plan

PLAN_ROWS = [["HS-SHOPEE", "gmv", "2026-12", "350tr"], ["HS-TIKTOK", "đơn", "2026-12", "2.500"]]


@pytest.fixture
async def an(app: BotUnderTest, user_factory) -> SandboxUser:
    user = user_factory(7101, "An")
    await app.join(user, Role.ADMIN)
    return user


@pytest.fixture
async def tuan(app: BotUnderTest, user_factory) -> SandboxUser:
    user = user_factory(7102, "Tuấn")
    await app.join(user, Role.MANAGER, "growth")
    return user


@pytest.fixture
async def minh(app: BotUnderTest, user_factory) -> SandboxUser:
    user = user_factory(7103, "Minh")
    await app.join(user, Role.STAFF, "growth", ("HS-SHOPEE",))
    return user


@FUZZ
@given(text=HOSTILE)
@with_corpus("text")
async def test_command_arguments(
    app: BotUnderTest, an: SandboxUser, tuan: SandboxUser, watch: Watch, text: str
) -> None:
    """Whatever follows a command is read, refused or echoed safely."""
    for command in ("/kpi", "/dept", "/plan", "/export", "/invite", "/invite staff growth"):
        assert await probe(app, an, watch, f"{command} {text}")
        await leave_any_form(app, an, watch)
    assert await probe(app, tuan, watch, f"/off {text}")


async def leave_any_form(app: BotUnderTest, user: SandboxUser, watch: Watch) -> None:
    """A command argument may have opened a form or a preview: close it for the next one."""
    state, _ = await form_state(app, user)
    if state is not None:
        await probe(app, user, watch, "/cancel")


DAYS_AHEAD = count()


@FUZZ
@given(text=HOSTILE)
@with_corpus("text")
async def test_a_day_off_reason_reaches_the_manager(
    app: BotUnderTest, minh: SandboxUser, tuan: SandboxUser, watch: Watch, text: str
) -> None:
    day = app.clock.now().date() + timedelta(days=4 + next(DAYS_AHEAD) % 80)
    async with app.db.session_factory() as session, session.begin():
        await session.execute(delete(DayOff).where(DayOff.day == day))  # asked by an earlier run
    replies = await probe(app, minh, watch, f"/off {day:%d/%m} {text}")
    async with app.db.session_factory() as session:
        asked = await session.scalar(select(DayOff).where(DayOff.day == day))
    if asked is None:  # the text was read as more days, or as days that cannot be asked
        assert replies
        return
    assert asked.status == "pending"
    watch.clear()
    report = await deliver_outbox(app)
    check_clean(watch, [], text)
    assert report.sent >= 1 or report.failed == 0
    told = tuan.drain()
    assert any("Minh" in o.text and f"{day:%d/%m}" in o.text for o in told), "not asked"
    # A long reason makes the request several messages; the buttons are on the last one.
    await tap(app, tuan, watch, "✅ Duyệt", next(o for o in told if "✅ Duyệt" in o.button_texts))
    async with app.db.session_factory() as session:
        decided = await session.scalar(select(DayOff).where(DayOff.day == day))
    assert decided is not None and decided.status == "approved"


async def test_the_invite_form_at_every_step(
    app: BotUnderTest, an: SandboxUser, watch: Watch
) -> None:
    """Role, department, stores: each step gets the corpus; the invite is what was pressed."""
    await probe(app, an, watch, "/invite")
    steps = [("Nhân viên", "InviteForm:role"), ("Tăng trưởng", "InviteForm:department")]
    steps += [("▫️ HS-SHOPEE", "InviteForm:stores"), ("✔️ Xong", "InviteForm:stores")]
    for button, step in steps:
        before = await form_state(app, an)
        assert before[0] == step
        for text in CORPUS:
            await probe(app, an, watch, text)
            assert await form_state(app, an) == before
        await tap(app, an, watch, button)
    async with app.db.session_factory() as session:
        invite = await session.scalar(select(Invite).where(Invite.created_by_id.is_not(None)))
    assert invite is not None and invite.role == "staff" and invite.store_codes == ["HS-SHOPEE"]


def workbook(rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Kế hoạch"
    for row in [["Cửa hàng", "Chỉ số", "Tháng", "Mục tiêu"], *rows]:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_file(rows: list[list[str]]) -> bytes:
    lines = [["Cửa hàng", "Chỉ số", "Tháng", "Mục tiêu"], *rows]
    return "\n".join(";".join(cells) for cells in lines).encode("utf-8")


async def send_file(
    app: BotUnderTest, user: SandboxUser, watch: Watch, name: str, content: bytes
) -> list[BotOutput]:
    user.drain()
    watch.clear()
    await user.send_document(name, content)
    outputs = await settle(app, user)
    check_clean(watch, outputs, name)
    return outputs


@FUZZ
@given(text=HOSTILE)
@example(text="a/")  # "a/.xlsx": read as a folder and a dotfile, it lost its extension
@with_corpus("text")
async def test_plan_files_with_hostile_names_and_cells(
    app: BotUnderTest, tuan: SandboxUser, watch: Watch, text: str
) -> None:
    """The file's name and cells come back in the problems or the preview, escaped."""
    await leave_any_form(app, tuan, watch)
    preview = texts(await send_file(app, tuan, watch, f"{text[:200]}.xlsx", workbook(PLAN_ROWS)))
    assert "350.000.000 ₫" in preview
    await leave_any_form(app, tuan, watch)
    cells = [
        [text, "gmv", "2026-12", "350tr"],
        ["HS-SHOPEE", text, "2026-12", "350tr"],
        ["HS-SHOPEE", "gmv", text, "350tr"],
        ["HS-SHOPEE", "đơn", "2026-12", text],
    ]
    await send_file(app, tuan, watch, "ke-hoach.csv", csv_file(cells))
    await leave_any_form(app, tuan, watch)
    await send_file(app, tuan, watch, "ke-hoach.csv", csv_file([[text, text, text, text]]))
    await leave_any_form(app, tuan, watch)


async def test_the_plan_preview_step_then_confirm(
    app: BotUnderTest, tuan: SandboxUser, watch: Watch
) -> None:
    await send_file(app, tuan, watch, "ke-hoach.xlsx", workbook(PLAN_ROWS))
    before = await form_state(app, tuan)
    assert before[0] == "PlanImport:preview"
    for text in CORPUS:
        await probe(app, tuan, watch, text)
        assert await form_state(app, tuan) == before
    await tap(app, tuan, watch, "✅ Xác nhận")
    async with app.db.session_factory() as session:
        targets = {(p.metric, p.month): p.target for p in (await session.scalars(select(Plan)))}
    assert targets == {("gmv", "2026-12"): 350_000_000, ("orders", "2026-12"): 2500}
