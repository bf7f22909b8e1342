"""The /invite form: buttons, scope checks, stale and forged buttons, restart mid-form."""

from __future__ import annotations

import re

from support.bot_harness import BotUnderTest, forge_callback

from bot.roles import Role

TOKEN = re.compile(r"start=([A-Za-z0-9_-]+)")


def token_in(text: str) -> str:
    match = TOKEN.search(text)
    assert match, text
    return match.group(1)


async def test_admin_invites_manager_with_buttons(app: BotUnderTest, user_factory) -> None:
    lan, tuan = user_factory(2001, "Lan"), user_factory(2002, "Tuấn")
    await app.join(lan, Role.ADMIN)

    await lan.send("/invite")
    ask = await lan.next_message()
    assert ask.button_texts[:4] == ["Nhân viên", "Quản lý", "Ban giám đốc", "Quản trị viên"]
    await lan.press("Quản lý")
    await lan.next_edit()
    await lan.press("Media")
    await lan.next_edit()
    link = await lan.next_message()

    await tuan.send(f"/start {token_in(link.text)}")
    await tuan.next_message()
    member = await app.member(2002)
    assert member is not None and member.role == "manager"
    assert member.department is not None and member.department.code == "media"


async def test_manager_invites_staff_for_chosen_stores(app: BotUnderTest, user_factory) -> None:
    tuan, minh = user_factory(2002, "Tuấn"), user_factory(2003, "Minh")
    await app.join(tuan, Role.MANAGER, "growth")

    await tuan.send("/invite")
    ask = await tuan.next_message()
    assert ask.button_texts[:2] == ["Nhân viên", "Quản lý"]  # no bod/admin for managers
    await tuan.press("Nhân viên")
    stores = await tuan.next_edit()
    assert "▫️ HS-SHOPEE" in stores.button_texts
    await tuan.press("▫️ HS-SHOPEE")
    toggled = await tuan.next_edit()
    assert "✅ HS-SHOPEE" in toggled.button_texts
    await tuan.press("✔️ Xong")
    await tuan.next_edit()
    link = await tuan.next_message()

    await minh.send(f"/start {token_in(link.text)}")
    await minh.next_message()
    assert await app.member_store_codes(2003) == {"HS-SHOPEE"}


async def test_manager_cannot_leave_their_scope(app: BotUnderTest, user_factory) -> None:
    tuan = user_factory(2002, "Tuấn")
    await app.join(tuan, Role.MANAGER, "growth")

    await tuan.send("/invite staff media")
    assert "phòng ban của mình" in (await tuan.next_message()).text
    await tuan.send("/invite admin")
    assert "không thể mời" in (await tuan.next_message()).text
    await tuan.send("/invite staff growth NOPE-STORE")
    refusal = (await tuan.next_message()).text
    assert "NOPE-STORE" in refusal and "/invite staff growth" in refusal  # shows an example


async def test_forged_role_button_is_refused(app: BotUnderTest, user_factory) -> None:
    tuan = user_factory(2002, "Tuấn")
    await app.join(tuan, Role.MANAGER, "growth")
    await tuan.send("/invite")
    ask = await tuan.next_message()

    forge_callback(app.sandbox, tuan, ask.message_id or 0, "inv:role:admin")
    toast = await tuan.next_callback_answer()

    assert "hết hiệu lực" in toast.text
    await tuan.assert_no_output(within=0.3, kinds={"message", "edit"})
    async with app.db.session_factory() as session:
        from sqlalchemy import func, select

        from storage.models import Invite

        assert await session.scalar(select(func.count()).select_from(Invite)) == 1  # tuan's own


async def test_staff_cannot_invite(app: BotUnderTest, user_factory) -> None:
    minh = user_factory(2003, "Minh")
    await app.join(minh, Role.STAFF, "growth")
    await minh.send("/invite staff growth")
    reply = await minh.next_message()
    assert "chưa hiểu" in reply.text and "Link" not in reply.text


async def test_text_during_form_gets_a_hint_and_keeps_the_form(
    app: BotUnderTest, user_factory
) -> None:
    lan = user_factory(2001, "Lan")
    await app.join(lan, Role.ADMIN)
    await lan.send("/invite")
    await lan.next_message()
    await lan.send("quản lý")
    hint = await lan.next_message()
    assert "nút" in hint.text and "/cancel" in hint.text
    await lan.press("Ban giám đốc", message=lan.last_message_with_buttons)
    await lan.next_edit()
    link = await lan.next_message()
    assert "Ban giám đốc" in link.text


async def test_cancel_works_anywhere_and_old_buttons_go_stale(
    app: BotUnderTest, user_factory
) -> None:
    lan = user_factory(2001, "Lan")
    await app.join(lan, Role.ADMIN)
    await lan.send("/invite")
    form = await lan.next_message()
    await lan.send("/cancel")
    assert "Đã huỷ" in (await lan.next_message()).text

    await lan.press("Quản lý", message=form)
    toast = await lan.next_callback_answer()
    assert "hết hiệu lực" in toast.text
    await lan.send("/cancel")
    assert "Không có thao tác" in (await lan.next_message()).text


async def test_restart_mid_form_keeps_state(app: BotUnderTest, user_factory) -> None:
    lan, new_manager = user_factory(2001, "Lan"), user_factory(2002, "Tuấn")
    await app.join(lan, Role.ADMIN)
    await lan.send("/invite")
    await lan.next_message()
    await lan.press("Quản lý")
    departments = await lan.next_edit()
    assert "Tăng trưởng" in departments.button_texts

    await app.restart()

    await lan.press("Tăng trưởng", message=departments.message_id)
    await lan.next_edit()
    link = await lan.next_message()
    assert "Quản lý" in link.text and "Tăng trưởng" in link.text
    await new_manager.send(f"/start {token_in(link.text)}")
    await new_manager.next_message()
    member = await app.member(2002)
    assert member is not None and member.role == "manager"
    assert app.starts == 2
