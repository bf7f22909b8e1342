"""Commands win over every form that is not the daily report: the order form (type pick, a
question, the summary), the invite form, the plan import preview, and the typed answers an
order button asks for (a reason, a deliverable). Each command runs and the form waits where
it was; the form then completes with every answer given before. (The report's steps:
test_commands_mid_report.py; leaving or keeping a form: test_form_switch.py.)
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pytest
from openpyxl import Workbook
from sqlalchemy import select
from support.bot_harness import BotUnderTest
from support.mid_form import NOT_UNDERSTOOD, MidForm

from bot.domain.order_workflow import Action
from bot.roles import Role
from bot.sandbox.client import BotOutput, SandboxUser
from bot.services.orders import act, create_order
from storage.models import Member, OrderEvent, OrderRequest, Plan, Store

SHOPEE_BUTTON = "HS-SHOPEE · Hoa Sen Official Store (Shopee)"


@dataclass
class Team:
    tuan: SandboxUser  # Growth's manager
    lan: SandboxUser  # Design's manager: banner requests go to her


@pytest.fixture
async def team(app: BotUnderTest, user_factory) -> Team:
    people = Team(tuan=user_factory(9001, "Tuấn"), lan=user_factory(9002, "Lan"))
    await app.join(people.tuan, Role.MANAGER, "growth")
    await app.join(people.lan, Role.MANAGER, "design")
    return people


async def said(user: SandboxUser, text: str) -> BotOutput:
    await user.send(text)
    return await user.next_message()


async def pressed(user: SandboxUser, button: str, message: BotOutput) -> BotOutput:
    await user.press(button, message)
    return await user.next_message()


async def order_of(app: BotUnderTest, number: int) -> OrderRequest:
    async with app.db.session_factory() as session:
        order = await session.get(OrderRequest, number)
        assert order is not None
        return order


# --- the order form -----------------------------------------------------------------------------


async def test_at_the_request_type_pick(app: BotUnderTest, team: Team) -> None:
    pick = await said(team.tuan, "/order")
    await MidForm(app, team.tuan, "tạo một yêu cầu — chọn loại yêu cầu").every_kind("growth")

    await team.tuan.press("Thiết kế banner", pick)
    assert "(1/5)" in (await team.tuan.next_message()).text


async def test_at_a_question_then_submitted_with_every_answer(
    app: BotUnderTest, team: Team
) -> None:
    await said(team.tuan, "/order")
    await team.tuan.press("Thiết kế banner")
    store = await team.tuan.next_message()
    size = await pressed(team.tuan, SHOPEE_BUTTON, store)
    assert "(3/5)" in (await pressed(team.tuan, "1200x1200", size)).text
    form = MidForm(app, team.tuan, "điền yêu cầu «Thiết kế banner» — trả lời câu hỏi ở trên")
    await form.every_kind("growth")

    assert "(4/5)" in (await said(team.tuan, "Banner sale 12.12")).text
    reference = await said(team.tuan, "25/11 14h")
    summary = await pressed(team.tuan, "⏭ Bỏ qua", reference)
    assert "Tóm tắt yêu cầu" in summary.text
    form.still = "điền yêu cầu «Thiết kế banner» — dùng các nút dưới bản tóm tắt"
    await form.every_kind("growth")

    assert "Đã gửi yêu cầu #1" in (await pressed(team.tuan, "📨 Gửi yêu cầu", summary)).text
    fields = (await order_of(app, 1)).fields
    assert fields["store"]["code"] == "HS-SHOPEE" and fields["size"] == "1200x1200"
    assert fields["brief"] == "Banner sale 12.12"


async def test_a_command_the_role_may_not_use_is_not_understood(
    app: BotUnderTest, user_factory
) -> None:
    bod = user_factory(9003, "Hùng")
    await app.join(bod, Role.BOD)
    await said(bod, "/order")
    await bod.press("Thiết kế banner")
    store = await bod.next_message()
    form = MidForm(app, bod, "điền yêu cầu «Thiết kế banner» — trả lời câu hỏi ở trên")
    for text in ("/report", "/me", "/off 25/11", "/invite", "/invite staff growth"):
        await form.command(text, NOT_UNDERSTOOD)
    assert "(2/5)" in (await pressed(bod, SHOPEE_BUTTON, store)).text


# --- the invite form ----------------------------------------------------------------------------


async def test_in_the_invite_form(app: BotUnderTest, team: Team) -> None:
    roles = await said(team.tuan, "/invite")
    form = MidForm(app, team.tuan, "tạo lời mời — chọn bằng các nút ở trên")
    await form.every_kind("growth")

    await team.tuan.press("Nhân viên", roles)
    await team.tuan.next_edit()
    await team.tuan.press("▫️ HS-SHOPEE", roles)
    assert "✅ HS-SHOPEE" in (await team.tuan.next_edit()).button_texts
    await form.every_kind("growth")  # the store chosen so far is kept

    await team.tuan.press("✔️ Xong", roles)
    link = await team.tuan.next_message()
    token = re.search(r"start=([A-Za-z0-9_-]+)", link.text)
    assert token is not None
    invite = await app.invite_row(token.group(1))
    assert invite is not None and invite.store_codes == ["HS-SHOPEE"]


# --- the plan import preview ----------------------------------------------------------------


def plan_file() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (
        ["Cửa hàng", "Chỉ số", "Tháng", "Mục tiêu"],
        ["HS-SHOPEE", "gmv", "2026-12", "350tr"],
        ["HS-TIKTOK", "gmv", "2026-12", "1,2 tỷ"],
    ):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def test_at_the_plan_import_preview(app: BotUnderTest, team: Team) -> None:
    await team.tuan.send_document("ke-hoach.xlsx", plan_file())
    preview = await team.tuan.next_message()
    assert "Mới: 2" in preview.text
    still = "xem trước kế hoạch nhập từ «ke-hoach.xlsx» — bấm «Xác nhận» hoặc «Huỷ»"
    await MidForm(app, team.tuan, still).every_kind("growth")

    assert "2 mới" in (await pressed(team.tuan, "✅ Xác nhận", preview)).text
    async with app.db.session_factory() as session:
        rows = await session.execute(select(Store.code, Plan.target).join(Plan))
        assert dict(rows.all()) == {"HS-SHOPEE": 350_000_000, "HS-TIKTOK": 1_200_000_000}


# --- the answers an order button asks for -------------------------------------------------------


async def _banner_for_design(app: BotUnderTest, *then: Action) -> None:
    """Request #1 from Tuấn to Design, then ``then`` done by Lan (assigned to herself)."""
    org = app.org
    order_type = org.order_type("banner")
    assert order_type is not None
    async with app.db.session_factory() as session, session.begin():
        people = {m.telegram_id: m for m in (await session.scalars(select(Member))).all()}
        tuan, lan = people[9001], people[9002]
        store = await session.scalar(select(Store).where(Store.code == "HS-SHOPEE"))
        assert store is not None
        answers = {
            "store": {"id": store.id, "code": store.code},
            "size": "1200x1200",
            "brief": "Banner 12.12",
            "due_date": "2026-11-27T14:00",
        }
        now = app.clock.now()
        await create_order(
            session, org, requester=tuan, order_type=order_type, answers=answers, now=now
        )
        for version, action in enumerate(then, start=1):
            outcome = await act(
                session,
                org,
                actor=lan,
                order_id=1,
                action=action,
                version=version,
                now=now,
                assignee_id=lan.id,
            )
            assert outcome.verdict == "ok", (action, outcome.verdict)


async def test_at_the_reason_of_a_rejection(app: BotUnderTest, team: Team) -> None:
    await _banner_for_design(app)
    details = await said(team.lan, "/order 1")
    assert "Vì sao từ chối" in (await pressed(team.lan, "✖️ Từ chối", details)).text
    await MidForm(app, team.lan, "nhập lý do cho yêu cầu #1 — gõ lý do").every_kind("design")

    assert "Đã từ chối yêu cầu #1" in (await said(team.lan, "Tuần này đã kín lịch")).text
    assert (await order_of(app, 1)).status == "rejected"
    async with app.db.session_factory() as session:
        notes = await session.scalars(select(OrderEvent.note).where(OrderEvent.order_id == 1))
        assert "Tuần này đã kín lịch" in notes.all()


async def test_at_the_deliverable(app: BotUnderTest, team: Team) -> None:
    await _banner_for_design(app, Action.APPROVE, Action.ASSIGN, Action.START)
    details = await said(team.lan, "/order 1")
    assert "Gửi kết quả yêu cầu #1" in (await pressed(team.lan, "📦 Giao kết quả", details)).text
    still = "giao kết quả yêu cầu #1 — gửi đường link, tệp hoặc ghi chú"
    await MidForm(app, team.lan, still).every_kind("design")

    delivered = await said(team.lan, "https://drive.google.com/file/abc")
    assert "Đã giao kết quả yêu cầu #1" in delivered.text
    assert (await order_of(app, 1)).status == "delivered"
