"""KPI alerts over the database: states, one message per store and recipient, hysteresis,
late reports, escalation and digests (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support.people import add_person, sync_demo_org

from bot.clock import FrozenClock
from bot.org.schema import OrgConfig
from bot.services import alert_escalation, alert_recheck, alerts
from jobs.runner import run_job
from jobs.table import default_handlers
from storage.models import AlertState, OutboxMessage, Plan, Store
from storage.repositories import reports

SF = async_sessionmaker[AsyncSession]
DAY = date(2026, 11, 20)
AFTER_DEADLINE = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)  # 11:00 in Ho Chi Minh City
BOD_CHAT = -1001000000001
MINH, TUAN = 5001, 5002
BAD_DAY: dict[str, float] = {
    "gmv": 12_500_000,
    "nmv": 11_000_000,
    "orders": 85,
    "cancelled": 12,  # 14 % cancelled: above the 8 % band
    "returned": 2,
    "traffic": 3200,
    "ads_cost": 5_000_000,  # ROAS 2.5: below 3, critical
}


async def store_id(session: AsyncSession, code: str) -> int:
    found = await session.scalar(select(Store.id).where(Store.code == code))
    assert found is not None
    return found


async def save(
    session: AsyncSession, code: str, day: date, values: Mapping[str, float], now: datetime
) -> None:
    sid = await store_id(session, code)
    stored = await reports.load_report(session, f"store:{sid}", "growth", day)
    await reports.save_report(
        session,
        subject_key=f"store:{sid}",
        store_id=sid,
        member_id=None,
        form="growth",
        business_date=day,
        values=values,
        expected_revision=stored.revision if stored else 0,
        actor_id=None,
        now=now,
        source="import",
    )


@pytest.fixture
async def org(session_factory: SF, clock: FrozenClock) -> OrgConfig:
    async with session_factory() as session, session.begin():
        org = await sync_demo_org(session)
        now = clock.now()
        await add_person(
            session, MINH, "Minh", "staff", department="growth", stores=["HS-SHOPEE"], now=now
        )
        await add_person(session, TUAN, "Tuấn", "manager", department="growth", now=now)
        # Every store reported both days, so missing-data rules stay quiet unless a test says so.
        for store in org.stores:
            for day in (DAY - timedelta(days=1), DAY):
                await save(
                    session, store.code, day, {**BAD_DAY, "cancelled": 1, "ads_cost": 1e6}, now
                )
    return org


async def outbox_rows(session_factory: SF) -> list[OutboxMessage]:
    async with session_factory() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def evaluate_hs_shopee(session_factory: SF, org: OrgConfig, now: datetime) -> alerts.AlertRun:
    async with session_factory() as session, session.begin():
        sid = await store_id(session, "HS-SHOPEE")
        return await alerts.evaluate_alerts(session, org, DAY, now, store_ids=[sid])


def text_of(row: OutboxMessage) -> str:
    return str(row.payload.get("caption") or row.payload.get("text"))


async def test_breaches_make_one_message_per_recipient_for_the_store(
    session_factory: SF, org: OrgConfig
) -> None:
    async with session_factory() as session, session.begin():
        await save(session, "HS-SHOPEE", DAY, BAD_DAY, AFTER_DEADLINE)

    run = await evaluate_hs_shopee(session_factory, org, AFTER_DEADLINE)

    assert run.opened == 2 and run.queued == 2
    rows = await outbox_rows(session_factory)
    assert sorted(r.chat_id for r in rows) == [MINH, TUAN]
    for row in rows:
        assert row.priority == 10 and row.kind == "alert"
        assert row.payload["method"] == "send_photo"  # the chart, the text in its caption
        caption = text_of(row)
        assert "HS-SHOPEE" in caption and "Tỉ lệ hủy" in caption and "ROAS" in caption
        assert len(caption) <= 1024
        buttons = [
            b["text"] for line in row.payload["reply_markup"]["inline_keyboard"] for b in line
        ]
        assert buttons == ["👌 Đã nắm", "💤 Nhắc lại ngày mai", "📝 Tạo việc"]
    async with session_factory() as session:
        states = (await session.scalars(select(AlertState).order_by(AlertState.rule_id))).all()
    assert [(s.rule_id, s.state, s.period) for s in states] == [
        ("cancel-rate", "open", "2026-11-20"),
        ("roas-low", "open", "2026-11-20"),
    ]
    assert states[1].detail["numbers"]["value"] == pytest.approx(2.5)


async def test_the_same_breach_is_never_sent_twice(session_factory: SF, org: OrgConfig) -> None:
    async with session_factory() as session, session.begin():
        await save(session, "HS-SHOPEE", DAY, BAD_DAY, AFTER_DEADLINE)
    await evaluate_hs_shopee(session_factory, org, AFTER_DEADLINE)

    again = await evaluate_hs_shopee(session_factory, org, AFTER_DEADLINE + timedelta(hours=3))

    assert (again.opened, again.resolved, again.queued) == (0, 0, 0)
    assert len(await outbox_rows(session_factory)) == 2


async def test_a_late_correction_resolves_with_back_on_track(
    session_factory: SF, org: OrgConfig
) -> None:
    async with session_factory() as session, session.begin():
        await save(session, "HS-SHOPEE", DAY, BAD_DAY, AFTER_DEADLINE)
    await evaluate_hs_shopee(session_factory, org, AFTER_DEADLINE)
    later = AFTER_DEADLINE + timedelta(hours=2)

    async with session_factory() as session, session.begin():
        await save(session, "HS-SHOPEE", DAY, {"cancelled": 3, "ads_cost": 2_000_000}, later)
        sid = await store_id(session, "HS-SHOPEE")
        run = await alert_recheck.after_report_saved(session, org, sid, DAY, later)

    assert run is not None and run.resolved == 2
    rows = (await outbox_rows(session_factory))[2:]
    assert sorted(r.chat_id for r in rows) == [MINH, TUAN]
    assert all("Đã trở lại đúng hướng" in text_of(r) for r in rows)
    assert all(r.payload.get("reply_markup") is None for r in rows)
    async with session_factory() as session:
        states = (await session.scalars(select(AlertState))).all()
    assert {s.state for s in states} == {"resolved"}


async def test_a_report_before_the_deadline_changes_nothing(
    session_factory: SF, org: OrgConfig, clock: FrozenClock
) -> None:
    async with session_factory() as session, session.begin():
        await save(session, "HS-SHOPEE", DAY, BAD_DAY, clock.now())
        sid = await store_id(session, "HS-SHOPEE")
        run = await alert_recheck.after_report_saved(session, org, sid, DAY, clock.now())  # 09:00
    assert run is None
    assert await outbox_rows(session_factory) == []


async def test_missing_data_for_two_days_alerts_the_manager_and_the_board(
    session_factory: SF, org: OrgConfig
) -> None:
    day = DAY + timedelta(days=2)  # nobody reported the 21st and the 22nd
    async with session_factory() as session, session.begin():
        await save(
            session, "HS-SHOPEE", day, {**BAD_DAY, "cancelled": 1, "ads_cost": 1e6}, AFTER_DEADLINE
        )
        run = await alerts.evaluate_alerts(
            session, org, day, AFTER_DEADLINE + timedelta(days=2), rule_types=["missing_data"]
        )
    assert run.opened == 6  # every store but HS-SHOPEE
    rows = await outbox_rows(session_factory)
    assert sorted({r.chat_id for r in rows}) == [BOD_CHAT, TUAN]
    assert len(rows) == 12  # one per store and recipient
    assert all("2 ngày liền" in text_of(r) for r in rows)
    # the day after, the gap goes on: the same alert, nothing new
    async with session_factory() as session, session.begin():
        again = await alerts.evaluate_alerts(
            session, org, day + timedelta(days=1), AFTER_DEADLINE + timedelta(days=3),
            rule_types=["missing_data"],
        )  # fmt: skip
    assert (again.opened, again.queued) == (0, 0)
    async with session_factory() as session:
        states = (await session.scalars(select(AlertState))).all()
    assert {s.period for s in states} == {"2026-11-21"}  # where each gap started
    assert len({(s.rule_id, s.store_id) for s in states}) == len(states)


async def test_critical_alert_escalates_to_the_board_once_after_its_delay(
    session_factory: SF, org: OrgConfig
) -> None:
    async with session_factory() as session, session.begin():
        await save(session, "HS-SHOPEE", DAY, BAD_DAY, AFTER_DEADLINE)
    await evaluate_hs_shopee(session_factory, org, AFTER_DEADLINE)
    clock = FrozenClock(AFTER_DEADLINE + timedelta(minutes=119))  # roas-low: 120 minutes

    async with session_factory() as session, session.begin():
        assert await alert_escalation.escalate_alerts(session, org, clock.now()) == 0
    clock.advance(timedelta(minutes=1))
    async with session_factory() as session, session.begin():
        assert await alert_escalation.escalate_alerts(session, org, clock.now()) == 1
    clock.advance(timedelta(hours=5))
    async with session_factory() as session, session.begin():
        above_bod = await alert_escalation.escalate_alerts(session, org, clock.now())
        assert above_bod == 0  # nothing above bod

    rows = (await outbox_rows(session_factory))[2:]
    assert [r.chat_id for r in rows] == [BOD_CHAT]
    assert "120 phút" in text_of(rows[0]) and "ROAS" in text_of(rows[0])
    async with session_factory() as session:
        roas = await session.scalar(select(AlertState).where(AlertState.rule_id == "roas-low"))
        cancel = await session.scalar(select(AlertState).where(AlertState.rule_id == "cancel-rate"))
    assert roas is not None and roas.escalation_level == 1
    assert cancel is not None and cancel.escalation_level == 0  # a warning never escalates


async def test_pacing_against_the_weighted_plan(session_factory: SF, org: OrgConfig) -> None:
    async with session_factory() as session, session.begin():
        sid = await store_id(session, "HS-SHOPEE")
        session.add(
            Plan(store_id=sid, metric="gmv", month="2026-11", target=3_000_000_000,
                 day_weights={}, updated_at=AFTER_DEADLINE)
        )  # fmt: skip
    await evaluate_hs_shopee(session_factory, org, AFTER_DEADLINE)
    async with session_factory() as session:
        states = {s.rule_id: s for s in (await session.scalars(select(AlertState))).all()}
    # 25tr reported over 2 days against 100tr/day: 12.5 % of plan
    assert set(states) == {"gmv-pacing", "gmv-pacing-critical"}
    assert states["gmv-pacing"].period == "2026-11"
    assert states["gmv-pacing"].detail["numbers"]["percent"] == pytest.approx(12.5)
    chats = sorted(r.chat_id for r in await outbox_rows(session_factory))
    assert chats == [BOD_CHAT, MINH, TUAN]  # owners+manager, manager+bod: each chat once


async def test_alerts_job_and_daily_digest(session_factory: SF, org: OrgConfig) -> None:
    async with session_factory() as session, session.begin():
        await save(session, "HS-SHOPEE", DAY, BAD_DAY, AFTER_DEADLINE)
    handlers = default_handlers()
    outcome = await run_job(session_factory, org, "alerts", AFTER_DEADLINE, handlers)
    assert outcome.status == "done" and "2 alert(s) opened" in (outcome.detail or "")
    before = len(await outbox_rows(session_factory))

    at = AFTER_DEADLINE + timedelta(minutes=15)
    digest = await run_job(session_factory, org, "daily_digest", at, handlers)

    assert digest.status == "done"
    rows = (await outbox_rows(session_factory))[before:]
    assert [r.chat_id for r in rows] == [BOD_CHAT, BOD_CHAT]  # the digest, the channel table
    assert rows[0].priority == 90 and rows[0].payload["method"] in ("send_photo", "send_message")
    assert rows[1].payload["method"] == "send_photo" and rows[1].dedupe_key.endswith(":3")
    assert "thương hiệu × kênh" in text_of(rows[1])
    text = text_of(rows[0])
    assert "Tổng hợp ngày 20/11/2026" in text
    assert "Cảnh báo đang mở: 2" in text and "HS-SHOPEE" in text
    again = await run_job(session_factory, org, "daily_digest", at, handlers)
    assert again.status == "already_ran"


async def test_monthly_digest_has_a_chart_and_the_workbook(
    session_factory: SF, org: OrgConfig
) -> None:
    async with session_factory() as session, session.begin():
        for store in ("HS-SHOPEE", "HS-TIKTOK"):
            sid = await store_id(session, store)
            session.add(
                Plan(store_id=sid, metric="gmv", month="2026-11", target=400_000_000,
                     day_weights={}, updated_at=AFTER_DEADLINE)
            )  # fmt: skip
    at = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 1 December, 09:00 local
    outcome = await run_job(session_factory, org, "monthly_digest", at, default_handlers())
    assert outcome.status == "done"
    rows = await outbox_rows(session_factory)
    assert [r.payload["method"] for r in rows] == ["send_photo", "send_document", "send_photo"]
    assert all(r.chat_id == BOD_CHAT for r in rows)
    assert "Tổng hợp tháng 11/2026" in text_of(rows[0])
    assert "HS-SHOPEE" in text_of(rows[0]) or "HS-TIKTOK" in text_of(rows[0])
    assert rows[1].payload["filename"].endswith(".xlsx")
