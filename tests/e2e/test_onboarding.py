"""Invite onboarding, refusals and menus, driven through the sandbox like real users."""

from __future__ import annotations

from datetime import timedelta

from support.bot_harness import BotUnderTest, forge_callback

from bot.roles import Role, commands_for


async def test_invite_then_start_registers_member(app: BotUnderTest, user_factory) -> None:
    token = await app.invite(Role.STAFF, "growth", ("HS-SHOPEE", "HS-TIKTOK"))
    minh = user_factory(3001, "Minh")

    await minh.send(f"/start {token}")
    reply = await minh.next_message()

    assert "Chào mừng Minh" in reply.text
    assert "Nhân viên · Tăng trưởng" in reply.text
    member = await app.member(3001)
    assert member is not None
    assert (member.role, member.locale, member.reachable) == ("staff", "vi", True)
    assert await app.member_store_codes(3001) == {"HS-SHOPEE", "HS-TIKTOK"}
    invite = await app.invite_row(token)
    assert invite is not None and invite.used_by_telegram_id == 3001
    menu = [c["command"] for c in app.sandbox.visible_commands(3001)]
    assert menu == commands_for(Role.STAFF)
    assert {"report", "kpi", "order", "help"} <= set(menu) and "invite" not in menu


async def test_reused_token_is_refused(app: BotUnderTest, user_factory) -> None:
    token = await app.invite(Role.STAFF, "media")
    first, second = user_factory(3001, "An"), user_factory(3002, "Bình")
    await first.send(f"/start {token}")
    await first.next_message()

    await second.send(f"/start {token}")
    reply = await second.next_message()

    assert "đã được sử dụng" in reply.text
    assert await app.member(3002) is None
    assert await app.count_members() == 1


async def test_expired_token_is_refused(app: BotUnderTest, user_factory) -> None:
    token = await app.invite(Role.STAFF, "media")
    app.clock.advance(timedelta(days=7, seconds=1))
    late = user_factory(3001, "Chậm")

    await late.send(f"/start {token}")
    reply = await late.next_message()

    assert "hết hạn" in reply.text
    assert await app.member(3001) is None
    invite = await app.invite_row(token)
    assert invite is not None and invite.used_at is None


async def test_unknown_token_is_refused(app: BotUnderTest, user_factory) -> None:
    guess = user_factory(3001, "Đoán")
    await guess.send("/start not-a-real-token")
    reply = await guess.next_message()
    assert "không hợp lệ" in reply.text
    assert await app.count_members() == 0


async def test_stranger_sees_nothing(app: BotUnderTest, user_factory) -> None:
    stranger = user_factory(3999, "Lạ")

    await stranger.send("/start")
    intro = await stranger.next_message()
    assert "3999" in intro.text and "mời" in intro.text

    for attempt in ("/help", "/invite", "/invite admin", "doanh thu HS-SHOPEE"):
        await stranger.send(attempt)
        reply = await stranger.next_message()
        assert "chưa là thành viên" in reply.text, attempt
        assert "HS-SHOPEE" not in reply.text and "/invite" not in reply.text
    assert await app.count_members() == 0


async def test_stranger_forged_button_changes_nothing(app: BotUnderTest, user_factory) -> None:
    stranger = user_factory(3999, "Lạ")
    await stranger.send("/start")
    intro = await stranger.next_message()

    forge_callback(app.sandbox, stranger, intro.message_id or 0, "inv:role:admin")
    toast = await stranger.next_callback_answer()

    assert "chưa là thành viên" in toast.text
    await stranger.assert_no_output(within=0.3, kinds={"message", "edit"})
    assert await app.count_members() == 0


async def test_help_differs_by_role(app: BotUnderTest, user_factory) -> None:
    helps: dict[str, str] = {}
    for offset, (role, department) in enumerate(
        [(Role.STAFF, "growth"), (Role.MANAGER, "growth"), (Role.BOD, None), (Role.ADMIN, None)]
    ):
        user = user_factory(3100 + offset, role.value)
        await app.join(user, role, department)
        await user.send("/help")
        helps[role.value] = (await user.next_message()).text

    assert "/invite" not in helps["staff"] and "/invite" not in helps["bod"]
    assert "/invite" in helps["manager"] and "/invite" in helps["admin"]
    assert "Nhân viên" in helps["staff"] and "Quản lý" in helps["manager"]
    assert all("/help" in text and "/lang" in text for text in helps.values())


async def test_guest_menu_only_offers_start(app: BotUnderTest, user_factory) -> None:
    stranger = user_factory(3999, "Lạ", language="en")
    for language in ("vi", "en", None):
        menu = app.sandbox.visible_commands(stranger.user_id, language)
        assert [c["command"] for c in menu] == ["start"]


async def test_lang_switches_texts_and_menu(app: BotUnderTest, user_factory) -> None:
    minh = user_factory(3001, "Minh")
    await app.join(minh, Role.STAFF, "growth")

    await minh.send("/lang")
    await minh.next_message()
    await minh.press("🇬🇧 English")
    edit = await minh.next_edit()
    assert "English" in edit.text

    await minh.send("/help")
    reply = await minh.next_message()
    assert "Your commands" in reply.text
    member = await app.member(3001)
    assert member is not None and member.locale == "en"
    menu = app.sandbox.visible_commands(3001)
    assert {c["command"]: c["description"] for c in menu}["help"] == "Commands you can use"


async def test_english_telegram_user_is_welcomed_in_english(
    app: BotUnderTest, user_factory
) -> None:
    token = await app.invite(Role.BOD)
    board = user_factory(3001, "Mai", language="en")
    await board.send(f"/start {token}")
    reply = await board.next_message()
    assert "Welcome Mai" in reply.text and "Board" in reply.text


async def test_member_gets_catch_all_for_unknown_text(app: BotUnderTest, user_factory) -> None:
    minh = user_factory(3001, "Minh")
    await app.join(minh, Role.STAFF, "growth")
    await minh.send("xin chào bot")
    reply = await minh.next_message()
    assert "chưa hiểu" in reply.text and "/help" in reply.text
