"""/off end to end: ask, the department's managers decide by button, the member is told, and
reminders leave them alone on those days. Forged, foreign and repeated presses change nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from support.bot_harness import BotUnderTest, forge_callback
from support.outbox_delivery import deliver_outbox

from bot.roles import Role
from bot.sandbox.client import SandboxUser
from jobs.runner import run_job
from jobs.table import default_handlers
from storage.models import DayOff, OutboxMessage

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


async def say(user: SandboxUser, text: str) -> str:
    await user.send(text)
    return (await user.next_message()).text


async def days_off(app: BotUnderTest) -> list[tuple[date, str, int | None]]:
    async with app.db.session_factory() as session:
        rows = await session.scalars(select(DayOff).order_by(DayOff.day))
        return [(r.day, r.status, r.decided_by_id) for r in rows.all()]


@pytest.fixture
async def people(app: BotUnderTest, user_factory) -> dict[str, SandboxUser]:
    users = {
        "tuan": user_factory(7001, "Tuấn"),
        "binh": user_factory(7002, "Bình"),
        "khoa": user_factory(7003, "Khoa"),
        "minh": user_factory(7004, "Minh"),
    }
    await app.join(users["tuan"], Role.MANAGER, "growth")
    await app.join(users["binh"], Role.MANAGER, "growth")
    await app.join(users["khoa"], Role.MANAGER, "livestream")
    await app.join(users["minh"], Role.STAFF, "growth", ("HS-SHOPEE",))
    return users


async def test_ask_approve_notify_and_no_reminder_on_the_day(
    app: BotUnderTest, people: dict[str, SandboxUser]
) -> None:
    minh, tuan, binh, khoa = people["minh"], people["tuan"], people["binh"], people["khoa"]
    assert "chưa có ngày nghỉ nào" in await say(minh, "/off")
    reply = await say(minh, "/off 23/11-24/11 về quê")
    assert "Đã gửi yêu cầu nghỉ T2 23/11, T3 24/11" in reply
    await deliver_outbox(app)
    request = await tuan.next_message()
    assert "Minh xin nghỉ: T2 23/11, T3 24/11" in request.text and "Lý do: về quê" in request.text
    assert request.button_texts == ["✅ Duyệt", "❌ Từ chối"]
    binh_copy = await binh.next_message()
    await khoa.assert_no_output(within=0.1)  # another department's manager is not asked

    data = request.callback_data("✅ Duyệt")
    assert data is not None
    # A manager of another department, and the member themself, cannot decide.
    help_message = await say(khoa, "/help")
    assert help_message
    khoa_message = khoa.history[-1].message_id
    assert khoa_message is not None
    forge_callback(app.sandbox, khoa, khoa_message, data)
    assert "Không tìm thấy yêu cầu nghỉ" in (await khoa.next_callback_answer()).text
    minh_message = minh.history[-1].message_id
    assert minh_message is not None
    forge_callback(app.sandbox, minh, minh_message, data)
    assert "hết hiệu lực" in (await minh.next_callback_answer()).text
    assert {status for _, status, _ in await days_off(app)} == {"pending"}

    await tuan.press("✅ Duyệt", request)
    edit = await tuan.next_edit()
    assert "Minh nghỉ T2 23/11, T3 24/11 — ✅ đã duyệt bởi Tuấn" in edit.text
    tuan_id = (await app.member(7001)).id  # type: ignore[union-attr]
    assert await days_off(app) == [
        (date(2026, 11, 23), "approved", tuan_id),
        (date(2026, 11, 24), "approved", tuan_id),
    ]
    # The other manager's copy is stale now: it says who decided and changes nothing.
    await binh.press("❌ Từ chối", binh_copy)
    late = await binh.next_callback_answer()
    assert "đã được xử lý: ✅ đã duyệt bởi Tuấn" in late.text
    assert {status for _, status, _ in await days_off(app)} == {"approved"}

    await deliver_outbox(app)
    told = await minh.next_message()
    assert "Tuấn đã duyệt ngày nghỉ của bạn: T2 23/11, T3 24/11" in told.text
    listing = await say(minh, "/off")
    assert "T2 23/11: ✅ đã duyệt — về quê" in listing
    assert "Những ngày đã xin trước đó" in await say(minh, "/off 24/11")

    # Monday 10:30: Minh is away, so no reminder (the report of Sunday is due that day).
    monday = datetime(2026, 11, 23, 10, 30, tzinfo=HCM)
    outcome = await run_job(app.db.session_factory, app.org, "reminder", monday, default_handlers())
    assert outcome.status == "done"
    async with app.db.session_factory() as session:
        kinds = (
            await session.scalars(select(OutboxMessage.kind).where(OutboxMessage.chat_id == 7004))
        ).all()
    assert "reminder" not in kinds


async def test_reject_and_ask_again_makes_old_buttons_stale(
    app: BotUnderTest, people: dict[str, SandboxUser]
) -> None:
    minh, tuan = people["minh"], people["tuan"]
    await say(minh, "/off mai")
    await deliver_outbox(app)
    first = await tuan.next_message()
    await people["binh"].next_message()
    await tuan.press("❌ Từ chối", first)
    assert (await tuan.next_callback_answer()).text == ""
    assert "❌ đã từ chối bởi Tuấn" in (await tuan.next_edit()).text
    await deliver_outbox(app)
    assert "Tuấn đã từ chối" in (await minh.next_message()).text

    app.clock.advance(timedelta(minutes=5))
    assert "Đã gửi yêu cầu nghỉ CN 22/11" in await say(minh, "/off 22/11 ốm")
    await deliver_outbox(app)
    second = await tuan.next_message()
    # The first request's button (already used) refers to a request that no longer exists.
    data = first.callback_data("✅ Duyệt")
    assert first.message_id is not None and data is not None
    forge_callback(app.sandbox, tuan, first.message_id, data)
    assert "Không tìm thấy" in (await tuan.next_callback_answer()).text
    assert [status for _, status, _ in await days_off(app)] == ["pending"]
    await tuan.press("✅ Duyệt", second)
    await tuan.next_edit()
    assert [status for _, status, _ in await days_off(app)] == ["approved"]


async def test_a_manager_cannot_approve_their_own_days_off(
    app: BotUnderTest, people: dict[str, SandboxUser]
) -> None:
    tuan, binh = people["tuan"], people["binh"]
    assert "Đã gửi yêu cầu nghỉ" in await say(tuan, "/off thứ 6")
    await deliver_outbox(app)
    request = await binh.next_message()  # the other manager of the department decides
    await tuan.assert_no_output(within=0.1, kinds="message")
    data = request.callback_data("✅ Duyệt")
    tuan_message = tuan.history[-1].message_id
    assert data is not None and tuan_message is not None
    forge_callback(app.sandbox, tuan, tuan_message, data)
    assert "không thể tự duyệt" in (await tuan.next_callback_answer()).text
    assert [status for _, status, _ in await days_off(app)] == ["pending"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/off 20/11", "Không thể xin nghỉ cho ngày đã qua. Ví dụ: /off 25/11"),
        ("/off về quê", "Tôi chưa hiểu ngày nghỉ. Ví dụ: /off 25/11"),
        ("/off 01/12-31/12", "Mỗi lần xin tối đa 14 ngày."),
    ],
)
async def test_bad_requests_are_explained_with_an_example(
    app: BotUnderTest, people: dict[str, SandboxUser], text: str, expected: str
) -> None:
    assert expected in await say(people["minh"], text)
    assert await days_off(app) == []
