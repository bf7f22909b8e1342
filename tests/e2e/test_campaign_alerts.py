"""Campaign alerts end to end, with the store alerts' lifecycle: the demo org file's rules on
HS1212 (GMV under 80% of its pace, ads cost over 120% of the budget's pace) open one state per
rule and campaign, reach the owner and the board with Acknowledge / Snooze, say nothing more
while nothing changes, refuse a press from outside the campaign, escalate an unacknowledged
critical one once, and send "back on track" when the pace recovers.

4 of the campaign's 12 days gone (numbers to 4/12) with 100tr of GMV and 10tr of ads a day on
HS-SHOPEE: 20% of the 2 tỷ target (60% of its pace) and 50% of the 80tr budget (150%).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from support.bot_harness import BotUnderTest, forge_callback
from support.outbox_delivery import deliver_outbox

from bot.demo.kpi_data import write_report
from bot.org.sections import PacingRule
from bot.roles import Role
from bot.sandbox.client import BotOutput, SandboxUser
from bot.sandbox.server import SandboxServer
from bot.services.alert_escalation import escalate_alerts
from bot.views.alerts import AlertCallback
from jobs.campaign_jobs import campaign_alerts
from jobs.runner import run_job
from jobs.table import default_handlers
from storage.models import AlertState, OutboxMessage
from storage.repositories import catalog

AT = datetime(2026, 12, 5, 4, 0, tzinfo=UTC)  # 11:00 local: numbers run to 4/12
BOARD_CHAT = -1001000000001  # chats.bod of the demo org file
LAN, TUAN, HANH = 6501, 6502, 6503
SUBJECT = "campaign:HS1212"


async def write_days(app: BotUnderTest, days: range, values: dict[str, float]) -> None:
    async with app.db.session_factory() as session, session.begin():
        store = await catalog.get_store_by_code(session, "HS-SHOPEE")
        assert store is not None
        for day_number in days:
            await write_report(
                session,
                subject_key=f"store:{store.id}",
                store_id=store.id,
                form="growth",
                day=date(2026, 12, day_number),
                values=values,
                sent_at=datetime(2026, 12, day_number + 1, 2, 0, tzinfo=UTC),
            )


async def run_again(app: BotUnderTest, at: datetime) -> str | None:
    """The job's handler on its own, as a second run of the same period would be."""
    async with app.db.session_factory() as session, session.begin():
        return await campaign_alerts(session, app.org, at.date().isoformat(), at)


async def states(app: BotUnderTest) -> dict[str, AlertState]:
    async with app.db.session_factory() as session:
        query = select(AlertState).where(AlertState.subject_key == SUBJECT)
        return {row.rule_id: row for row in (await session.scalars(query)).all()}


async def alert_rows(app: BotUnderTest) -> list[OutboxMessage]:
    async with app.db.session_factory() as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == "alert")
        return list((await session.scalars(query.order_by(OutboxMessage.id))).all())


async def campaign_message(user: SandboxUser) -> BotOutput:
    while True:
        message = await user.next_message()
        if "HS1212" in message.text:
            return message


@pytest.fixture
async def people(
    app: BotUnderTest, sandbox: SandboxServer
) -> AsyncIterator[tuple[SandboxUser, SandboxUser, SandboxUser]]:
    """Lan owns the campaign (@lan_hs) and HS-SHOPEE; Tuấn manages Growth; Hạnh owns HS-TIKTOK,
    one of the campaign's stores, without owning the campaign."""
    sandbox.register_group(BOARD_CHAT, "Ban giám đốc")
    lan = SandboxUser(sandbox, LAN, "Lan", "lan_hs")
    tuan = SandboxUser(sandbox, TUAN, "Tuấn", "tuan_growth")
    hanh = SandboxUser(sandbox, HANH, "Hạnh", "hanh_tiktok")
    try:
        await app.join(lan, Role.STAFF, "growth", ("HS-SHOPEE",))
        await app.join(tuan, Role.MANAGER, "growth")
        await app.join(hanh, Role.STAFF, "growth", ("HS-TIKTOK",))
        await write_days(app, range(1, 5), {"gmv": 100_000_000, "orders": 100, "ads_cost": 10e6})
        app.clock.set(AT)
        yield lan, tuan, hanh
    finally:
        for user in (lan, tuan, hanh):
            user.close()


async def test_owner_acknowledges_a_forged_press_is_refused_and_recovery_resolves(
    app: BotUnderTest, sandbox: SandboxServer, people: tuple[SandboxUser, ...]
) -> None:
    lan, tuan, hanh = people
    outcome = await run_job(
        app.db.session_factory, app.org, "campaign_alerts", AT, default_handlers()
    )
    assert outcome.status == "done" and "2 alert(s) opened" in outcome.text, outcome.text
    rows = await alert_rows(app)
    assert sorted(r.chat_id for r in rows) == sorted([LAN, BOARD_CHAT])  # one message each
    found = await states(app)
    assert sorted(found) == ["hs1212-budget", "hs1212-pacing"]
    assert {s.state for s in found.values()} == {"open"}
    assert {s.period for s in found.values()} == {"2026-12-01"}  # the campaign's run

    # The same period again, and the next day with no new numbers: nothing new.
    again = await run_again(app, AT)
    assert again is not None and "0 alert(s) opened" in again and "0 message(s)" in again
    await run_again(app, AT + timedelta(days=1))
    assert len(await alert_rows(app)) == 2

    await deliver_outbox(app)
    alert = await campaign_message(lan)
    assert "Cảnh báo chiến dịch" in alert.text and "12.12 Hoa Sen" in alert.text
    assert "chậm tiến độ" in alert.text and "20%" in alert.text and "33%" in alert.text
    assert "tiêu ngân sách nhanh" in alert.text and "50%" in alert.text
    assert alert.button_texts == ["👌 Đã nắm", "💤 Nhắc lại ngày mai"]
    assert "không có nút «Tạo việc»" in alert.text

    # Hạnh owns one of the campaign's stores, not the campaign: the same data is refused.
    await hanh.send("/help")
    help_message = await hanh.next_message()
    lead = min(s.id for s in found.values())
    for action in ("ack", "snooze", "task"):
        data = AlertCallback(action=action, scope="b", id=lead).pack()
        forge_callback(sandbox, hanh, help_message.message_id or 0, data)
        assert "không dành cho bạn" in (await hanh.next_output("callback_answer")).text
    # Nor is a Create task button the message never had, from the owner.
    forged = AlertCallback(action="task", scope="b", id=lead).pack()
    forge_callback(sandbox, lan, alert.message_id or 0, forged)
    assert "không dành cho bạn" in (await lan.next_output("callback_answer")).text
    assert {s.state for s in (await states(app)).values()} == {"open"}

    await lan.press("👌 Đã nắm", alert)
    assert "Đã ghi nhận" in (await lan.next_output("callback_answer")).text
    edit = await lan.next_edit()
    assert "Lan đã nắm lúc 11:00 05/12" in edit.text and "chậm tiến độ" in edit.text
    assert edit.button_texts == []
    member = await app.member(LAN)
    acknowledged = await states(app)
    assert member is not None and {s.state for s in acknowledged.values()} == {"acknowledged"}
    assert {s.acknowledged_by_id for s in acknowledged.values()} == {member.id}

    # The pace comes back: 5/12 and 6/12 bring 1,2 tỷ of GMV in all (60% of the target at half
    # the time) and no ads (40tr of the budget: 100% of its pace).
    await write_days(app, range(5, 7), {"gmv": 400_000_000, "orders": 100, "ads_cost": 0})
    later = AT + timedelta(days=2)
    app.clock.set(later)
    done = await run_job(
        app.db.session_factory, app.org, "campaign_alerts", later, default_handlers()
    )
    assert "2 resolved" in done.text, done.text
    assert {s.state for s in (await states(app)).values()} == {"resolved"}
    ok_rows = [r for r in await alert_rows(app) if r.dedupe_key.startswith("alert-ok:")]
    assert sorted(r.chat_id for r in ok_rows) == sorted([LAN, BOARD_CHAT])
    await deliver_outbox(app)
    back = await campaign_message(lan)
    assert "đã trở lại đúng tiến độ" in back.text and "Doanh thu (GMV)" in back.text
    assert "Chi phí quảng cáo" in back.text
    await run_again(app, later)
    assert len(await alert_rows(app)) == 4
    await tuan.assert_no_output(within=0.2)  # the rules name the owners and the board


def escalating(rule: PacingRule) -> PacingRule:
    return rule.model_copy(
        update={"severity": "critical", "recipients": ("owners",), "escalate_after_minutes": 60}
    )


async def test_an_unacknowledged_critical_campaign_alert_escalates_once(
    app: BotUnderTest, people: tuple[SandboxUser, ...]
) -> None:
    """hs1212-pacing made critical, for its owners only, escalating after an hour: the next
    level is the managers of the campaign's stores' department."""
    lan, tuan, _ = people
    rules = tuple(
        escalating(r) if r.id == "hs1212-pacing" and isinstance(r, PacingRule) else r
        for r in app.org.alert_rules
    )
    app.org = app.org.model_copy(update={"alert_rules": rules})
    await app.restart()
    handlers = default_handlers()
    await run_job(app.db.session_factory, app.org, "campaign_alerts", AT, handlers)
    await deliver_outbox(app)
    alert = await campaign_message(lan)
    assert alert.text.index("🔴") < alert.text.index("🟠")  # the critical breach first

    async with app.db.session_factory() as session, session.begin():
        assert await escalate_alerts(session, app.org, AT + timedelta(minutes=59)) == 0
    async with app.db.session_factory() as session, session.begin():
        assert await escalate_alerts(session, app.org, AT + timedelta(minutes=60)) == 1
    async with app.db.session_factory() as session, session.begin():
        assert await escalate_alerts(session, app.org, AT + timedelta(minutes=61)) == 0
    found = await states(app)
    assert found["hs1212-pacing"].escalation_level == 1
    assert found["hs1212-budget"].escalation_level == 0  # a warning never escalates
    escalation_rows = [r for r in await alert_rows(app) if r.dedupe_key.startswith("alert-esc:")]
    assert [r.chat_id for r in escalation_rows] == [TUAN]

    app.clock.set(AT + timedelta(minutes=61))
    await deliver_outbox(app)
    escalated = await campaign_message(tuan)
    assert "Chưa ai xác nhận sau 60 phút" in escalated.text and "chậm tiến độ" in escalated.text
    assert "tiêu ngân sách" not in escalated.text
    assert escalated.button_texts == ["👌 Đã nắm", "💤 Nhắc lại ngày mai"]
    app.clock.set(AT + timedelta(minutes=70))
    await tuan.press("👌 Đã nắm", escalated)
    assert "Đã ghi nhận" in (await tuan.next_output("callback_answer")).text
    assert "Tuấn đã nắm lúc 12:10 05/12" in (await tuan.next_edit()).text
    after = await states(app)
    assert after["hs1212-pacing"].state == "acknowledged"
    assert after["hs1212-budget"].state == "open"  # the escalation was about one alert
    # Acknowledged: it goes no higher (the board would be next).
    async with app.db.session_factory() as session, session.begin():
        assert await escalate_alerts(session, app.org, AT + timedelta(hours=5)) == 0


async def test_snooze_until_tomorrow_then_still_behind_opens_again(
    app: BotUnderTest, people: tuple[SandboxUser, ...]
) -> None:
    lan, _, _ = people
    await run_job(app.db.session_factory, app.org, "campaign_alerts", AT, default_handlers())
    await deliver_outbox(app)
    alert = await campaign_message(lan)
    await lan.press("💤 Nhắc lại ngày mai", alert)
    assert "10:30 06/12" in (await lan.next_output("callback_answer")).text
    edit = await lan.next_edit()
    assert "Lan hẹn nhắc lại lúc 10:30 06/12" in edit.text
    assert edit.button_texts == ["👌 Đã nắm"]
    snoozed = await states(app)
    assert {s.state for s in snoozed.values()} == {"snoozed"}
    assert {s.snoozed_until for s in snoozed.values()} == {datetime(2026, 12, 6, 3, 30, tzinfo=UTC)}

    # The next day, still behind its pace (no numbers since): open again, told again.
    next_day = AT + timedelta(days=1)
    app.clock.set(next_day)
    await run_job(app.db.session_factory, app.org, "campaign_alerts", next_day, default_handlers())
    reopened = await states(app)
    assert reopened["hs1212-pacing"].state == "open"
    await deliver_outbox(app)
    again = await campaign_message(lan)
    assert "chậm tiến độ" in again.text and "42%" in again.text  # 5 of 12 days gone
    assert again.button_texts == ["👌 Đã nắm", "💤 Nhắc lại ngày mai"]
