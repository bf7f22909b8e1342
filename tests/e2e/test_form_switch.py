"""A command that opens another form, typed in the middle of one: the member chooses to leave
(the new form starts, the old one is gone) or to keep filling in (nothing changes). The
buttons are checked on arrival: an answered, outdated, forged or foreign press is "no longer
valid" and changes nothing.

The harness clock is 2026-11-21 09:00 in Ho Chi Minh City: reports cover 2026-11-20.
"""

from __future__ import annotations

import pytest
from support.bot_harness import BotUnderTest, forge_callback
from support.mid_form import KEEP, STALE, MidForm, form_state

from bot.roles import Role
from bot.sandbox.client import BotOutput, SandboxUser
from bot.views.forms import FormSwitchCallback

STILL = "điền báo cáo HS-SHOPEE · 20/11 — trả lời câu hỏi ở trên"


@pytest.fixture
async def minh(app: BotUnderTest, user_factory) -> SandboxUser:
    """Staff with one store: /report opens its first question at once."""
    user = user_factory(9101, "Minh")
    await app.join(user, Role.STAFF, "growth", ("HS-SHOPEE",))
    return user


async def said(user: SandboxUser, text: str) -> BotOutput:
    await user.send(text)
    return await user.next_message()


async def report_at_question_2(user: SandboxUser) -> None:
    assert "(1/7)" in (await said(user, "/report")).text
    assert "(2/7)" in (await said(user, "12,5tr")).text


async def test_leave_the_report_for_an_order(app: BotUnderTest, minh: SandboxUser) -> None:
    await report_at_question_2(minh)
    ask = await MidForm(app, minh, STILL).asked_to_leave("/order")
    await minh.press("🚪 Bỏ dở, chạy /order", ask)
    assert not (await minh.next_callback_answer()).text
    assert "Chọn loại yêu cầu" in (await minh.next_message()).text
    state, data = await form_state(app, minh)
    assert state == "OrderForm:pick" and "draft" not in data and "form_switch" not in data
    # the question is answered: its data pressed again is no longer valid
    forge_callback(app.sandbox, minh, ask.message_id or 0, ask.callback_data(KEEP) or "")
    assert STALE in (await minh.next_callback_answer()).text
    assert (await form_state(app, minh))[0] == "OrderForm:pick"


async def test_leave_a_report_for_a_new_one(app: BotUnderTest, minh: SandboxUser) -> None:
    await report_at_question_2(minh)
    old_rid = (await form_state(app, minh))[1]["draft"]["rid"]
    ask = await MidForm(app, minh, STILL).asked_to_leave("/report 19/11")
    await minh.press("🚪 Bỏ dở, chạy /report 19/11", ask)
    question = await minh.next_message()
    assert "19/11/2026" in question.text and "(1/7)" in question.text
    state, data = await form_state(app, minh)
    assert state == "ReportForm:field" and data["draft"]["rid"] != old_rid
    assert data["draft"]["answers"] == {}


async def test_leave_the_order_form_for_an_invite_and_back_again(
    app: BotUnderTest, user_factory
) -> None:
    tuan = user_factory(9102, "Tuấn")
    await app.join(tuan, Role.MANAGER, "growth")
    await said(tuan, "/order")
    ask = await MidForm(app, tuan, "tạo một yêu cầu").asked_to_leave("/invite")
    await tuan.press("🚪 Bỏ dở, chạy /invite", ask)
    assert "Nhân viên" in (await tuan.next_message()).button_texts
    assert (await form_state(app, tuan))[0] == "InviteForm:role"
    ask = await MidForm(app, tuan, "tạo lời mời").asked_to_leave("/order")
    await tuan.press("🚪 Bỏ dở, chạy /order", ask)
    assert "Thiết kế banner" in (await tuan.next_message()).button_texts
    assert (await form_state(app, tuan))[0] == "OrderForm:pick"


async def test_keep_survives_a_restart_and_a_second_press_is_stale(
    app: BotUnderTest, minh: SandboxUser
) -> None:
    await report_at_question_2(minh)
    before = await form_state(app, minh)
    ask = await MidForm(app, minh, STILL).asked_to_leave("/report")
    await app.restart()
    await minh.press(KEEP, ask)
    assert not (await minh.next_callback_answer()).text
    assert "không mất gì" in (await minh.next_message()).text
    leave = ask.callback_data("🚪 Bỏ dở, chạy /report") or ""
    forge_callback(app.sandbox, minh, ask.message_id or 0, leave)
    assert STALE in (await minh.next_callback_answer()).text
    assert await form_state(app, minh) == before
    assert "(3/7)" in (await said(minh, "11tr")).text


async def test_a_question_outdated_by_an_answer_or_cancel_is_stale(
    app: BotUnderTest, minh: SandboxUser
) -> None:
    await report_at_question_2(minh)
    form = MidForm(app, minh, STILL)
    ask = await form.asked_to_leave("/report")
    assert "(3/7)" in (await said(minh, "11tr")).text  # answered the form instead
    moved_on = await form_state(app, minh)
    await minh.press("🚪 Bỏ dở, chạy /report", ask)
    assert STALE in (await minh.next_callback_answer()).text
    assert await form_state(app, minh) == moved_on  # the report at 3/7, both answers kept
    assert set(moved_on[1]["draft"]["answers"]) == {"gmv", "nmv"}

    ask = await form.asked_to_leave("/order")
    assert "Đã huỷ" in (await said(minh, "/cancel")).text
    await minh.press(KEEP, ask)
    assert STALE in (await minh.next_callback_answer()).text
    assert await form_state(app, minh) == (None, {})


async def test_forged_and_foreign_presses_change_nothing(
    app: BotUnderTest, minh: SandboxUser, user_factory
) -> None:
    await report_at_question_2(minh)
    ask = await MidForm(app, minh, STILL).asked_to_leave("/order")
    pending = await form_state(app, minh)
    token = FormSwitchCallback.unpack(ask.callback_data(KEEP) or "").token
    for forged in (
        FormSwitchCallback(token="deadbeef", choice="leave"),
        FormSwitchCallback(token=token, choice="maybe"),
    ):
        forge_callback(app.sandbox, minh, ask.message_id or 0, forged.pack())
        assert STALE in (await minh.next_callback_answer()).text
        assert await form_state(app, minh) == pending

    lan = user_factory(9103, "Lan")
    await app.join(lan, Role.STAFF, "growth", ("HS-TIKTOK",))
    await said(lan, "/report")  # her own form is in progress too
    lan_message = app.sandbox.messages(lan.user_id)[-1]["message_id"]
    forge_callback(app.sandbox, lan, lan_message, ask.callback_data(KEEP) or "")
    assert STALE in (await lan.next_callback_answer()).text
    assert await form_state(app, minh) == pending
    assert (await form_state(app, lan))[0] == "ReportForm:field"


async def test_a_new_form_that_refuses_to_start_leaves_the_old_one(
    app: BotUnderTest, minh: SandboxUser
) -> None:
    await report_at_question_2(minh)
    before = await form_state(app, minh)
    ask = await MidForm(app, minh, STILL).asked_to_leave("/report 2026-11-01")
    await minh.press("🚪 Bỏ dở, chạy /report 2026-11-01", ask)
    assert "quá cũ" in (await minh.next_message()).text  # staff backfill 7 days
    assert STILL in (await minh.next_message()).text
    assert await form_state(app, minh) == before
    assert "(3/7)" in (await said(minh, "11tr")).text
