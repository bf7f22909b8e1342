"""KPI alerts end to end: delivered through the outbox, acknowledged, snoozed and turned into a
task by button; stale and forged buttons refused; a late report sends "back on track"."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from support.bot_harness import BotUnderTest, forge_callback

from bot.delivery import OutboxSender, Rate, RateLimits
from bot.roles import Role
from bot.sandbox.client import BotOutput, SandboxUser
from bot.sandbox.server import SandboxServer
from bot.views.alerts import AlertCallback
from jobs.runner import run_job
from jobs.table import default_handlers
from storage.models import AlertState, OrderRequest, Store
from storage.repositories import reports

DAY = date(2026, 11, 20)
AT = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)  # 11:00 local, after the 10:30 deadline
BOD_CHAT = -1001000000001
FAST = RateLimits(overall=Rate(100_000, 1.0), private_chat=Rate(100_000, 1.0))
BAD_DAY: dict[str, float] = {
    "gmv": 12_500_000, "nmv": 11_000_000, "orders": 85, "cancelled": 12, "returned": 2,
    "traffic": 3200, "ads_cost": 5_000_000,
}  # fmt: skip


async def deliver(app: BotUnderTest) -> None:
    assert app.runtime is not None
    sender = OutboxSender(app.runtime.bot, app.db.session_factory, app.clock, limits=FAST)
    await sender.drain_once()


async def save_report(
    app: BotUnderTest, values: dict[str, float], code: str = "HS-SHOPEE", day: date = DAY
) -> None:
    async with app.db.session_factory() as session, session.begin():
        sid = await session.scalar(select(Store.id).where(Store.code == code))
        stored = await reports.load_report(session, f"store:{sid}", "growth", day)
        await reports.save_report(
            session, subject_key=f"store:{sid}", store_id=sid, member_id=None, form="growth",
            business_date=day, values=values, expected_revision=stored.revision if stored else 0,
            actor_id=None, now=app.clock.now(), source="import",
        )  # fmt: skip


async def shop_alert(user: SandboxUser) -> BotOutput:
    """The user's HS-SHOPEE alert (managers also get missing-data alerts of other stores)."""
    while True:
        photo = await user.next_photo()
        if "HS-SHOPEE" in photo.text:
            return photo


async def alert_states(app: BotUnderTest) -> dict[str, AlertState]:
    """HS-SHOPEE's alerts (the other stores only miss their reports)."""
    async with app.db.session_factory() as session:
        sid = await session.scalar(select(Store.id).where(Store.code == "HS-SHOPEE"))
        rows = (await session.scalars(select(AlertState).where(AlertState.store_id == sid))).all()
    return {row.rule_id: row for row in rows}


@pytest.fixture
async def people(
    app: BotUnderTest, sandbox: SandboxServer, user_factory
) -> tuple[SandboxUser, SandboxUser, SandboxUser]:
    sandbox.register_group(BOD_CHAT, "Ban giám đốc")
    minh = user_factory(5001, "Minh")
    tuan = user_factory(5002, "Tuấn")
    hanh = user_factory(5003, "Hạnh")
    await app.join(minh, Role.STAFF, "growth", ("HS-SHOPEE",))
    await app.join(tuan, Role.MANAGER, "growth")
    await app.join(hanh, Role.STAFF, "growth", ("HS-TIKTOK",))
    app.clock.set(AT)
    quiet = {**BAD_DAY, "cancelled": 1, "ads_cost": 1_000_000}
    for store in app.org.stores:  # every store reported: no missing-data alerts
        await save_report(app, quiet, store.code, DAY - timedelta(days=1))
        await save_report(app, quiet, store.code)
    await save_report(app, BAD_DAY)
    outcome = await run_job(app.db.session_factory, app.org, "alerts", AT, default_handlers())
    assert outcome.status == "done", outcome.text
    await deliver(app)
    return minh, tuan, hanh


async def test_acknowledged_by_the_owner_then_stale_for_the_manager(
    app: BotUnderTest, people: tuple[SandboxUser, SandboxUser, SandboxUser]
) -> None:
    minh, tuan, _ = people
    alert = await shop_alert(minh)
    assert "HS-SHOPEE" in alert.text and "ROAS" in alert.text
    assert alert.button_texts == ["👌 Đã nắm", "💤 Nhắc lại ngày mai", "📝 Tạo việc"]
    assert alert.data and alert.data.startswith(b"\x89PNG")

    await minh.press("👌 Đã nắm", alert)
    answer = await minh.next_output("callback_answer")
    edit = await minh.next_edit()

    assert "Đã ghi nhận" in answer.text
    assert "Minh đã nắm lúc 11:00 21/11" in edit.text and "ROAS" in edit.text
    assert edit.button_texts == ["📝 Tạo việc"]
    states = await alert_states(app)
    assert {s.state for s in states.values()} == {"acknowledged"}
    assert {s.acknowledged_at for s in states.values()} == {AT}

    copy = await shop_alert(tuan)
    await tuan.press("💤 Nhắc lại ngày mai", copy)
    stale = await tuan.next_output("callback_answer")
    assert "Minh đã xác nhận lúc 11:00 21/11" in stale.text
    assert "Minh đã nắm" in (await tuan.next_edit()).text
    assert {s.state for s in (await alert_states(app)).values()} == {"acknowledged"}


async def test_snooze_then_task_for_the_owner(
    app: BotUnderTest, people: tuple[SandboxUser, SandboxUser, SandboxUser]
) -> None:
    _, tuan, _ = people
    copy = await shop_alert(tuan)
    await tuan.press("💤 Nhắc lại ngày mai", copy)
    assert "10:30 22/11" in (await tuan.next_output("callback_answer")).text
    await tuan.next_edit()
    states = await alert_states(app)
    assert {s.state for s in states.values()} == {"snoozed"}
    assert states["roas-low"].snoozed_until == datetime(2026, 11, 22, 3, 30, tzinfo=UTC)

    await tuan.press("📝 Tạo việc", copy)
    assert "cho Minh" in (await tuan.next_output("callback_answer")).text
    async with app.db.session_factory() as session:
        task = await session.scalar(select(OrderRequest))
    assert task is not None and task.kind == "task" and task.status == "assigned"
    assert task.assignee_id == (await app.member(5001)).id
    assert {s.task_id for s in (await alert_states(app)).values()} == {task.id}


async def test_forged_and_foreign_buttons_change_nothing(
    app: BotUnderTest, sandbox: SandboxServer, people: tuple[SandboxUser, SandboxUser, SandboxUser]
) -> None:
    minh, _, hanh = people
    alert = await shop_alert(minh)
    lead = min(s.id for s in (await alert_states(app)).values())
    # Hạnh owns another store: the same callback data from her finds nothing.
    await hanh.send("/help")
    help_message = await hanh.next_message()
    data = AlertCallback(action="ack", scope="b", id=lead).pack()
    forge_callback(sandbox, hanh, help_message.message_id or 0, data)
    refused = await hanh.next_output("callback_answer")
    assert "không dành cho bạn" in refused.text
    # An id that does not exist, from the owner.
    forged = AlertCallback(action="ack", scope="b", id=lead + 999).pack()
    forge_callback(sandbox, minh, alert.message_id or 0, forged)
    assert "không dành cho bạn" in (await minh.next_output("callback_answer")).text
    assert {s.state for s in (await alert_states(app)).values()} == {"open"}


async def test_a_late_correction_by_chat_sends_back_on_track(
    app: BotUnderTest, people: tuple[SandboxUser, SandboxUser, SandboxUser]
) -> None:
    minh, tuan, _ = people
    await shop_alert(minh)
    await minh.send("/report 20/11")
    await minh.next_message()  # already reported: the summary follows
    await minh.next_message()
    await minh.send("hủy 3\nchi phí ads 2tr")
    await minh.next_message()
    await minh.press("✅ Xác nhận")
    assert "Đã lưu" in (await minh.next_message()).text

    await deliver(app)

    back = await minh.next_message()
    assert "Đã trở lại đúng hướng" in back.text and "HS-SHOPEE" in back.text
    assert {s.state for s in (await alert_states(app)).values()} == {"resolved"}
    await shop_alert(tuan)
    while "Đã trở lại đúng hướng" not in (await tuan.next_message()).text:
        pass  # the missing-data alerts of the other stores come first
