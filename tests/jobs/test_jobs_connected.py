"""Reminders for connected stores (``sources.connected``): the owner hears only when the
automatic data did not arrive, and the reminder says so."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support.people import add_person, sync_demo_org

from bot.clock import FrozenClock
from bot.org.connectors import Connected
from bot.org.schema import OrgConfig
from bot.org.sources import Sources
from jobs.runner import run_job
from jobs.table import default_handlers
from storage.models import OutboxMessage, ValueRevision
from storage.repositories import catalog, reports

SF = async_sessionmaker[AsyncSession]
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
NUDGE_AT = datetime(2026, 11, 21, 9, 45, tzinfo=HCM)
REMINDER_AT = datetime(2026, 11, 21, 10, 30, tzinfo=HCM)
DAY = date(2026, 11, 20)
MINH, AN = 11, 12
SHOPEE_LINE_VI = (
    "🤖 Dữ liệu tự động của <b>HS-SHOPEE</b> đến 10:00 vẫn chưa về — "
    "hãy gửi file xuất đơn hoặc nhập số liệu."
)
SHOPEE_LINE_EN = (
    "🤖 The automatic data for <b>HS-SHOPEE</b> has not arrived by 10:00 — "
    "send the export or type the numbers."
)


def connected(org: OrgConfig, expected_by: time | None = time(10, 0)) -> OrgConfig:
    entry = Connected(stores=("HS-SHOPEE",), source="import", expected_by=expected_by)
    return org.model_copy(update={"sources": Sources(connected=(entry,))})


async def seed(session_factory: SF, now: datetime) -> OrgConfig:
    """Minh reports HS-SHOPEE (connected) and HS-TIKTOK (typed); An (English) only HS-SHOPEE."""
    async with session_factory() as session, session.begin():
        org = await sync_demo_org(session)
        await add_person(
            session,
            MINH,
            "Minh",
            "staff",
            department="growth",
            stores=("HS-SHOPEE", "HS-TIKTOK"),
            now=now,
        )
        await add_person(
            session, AN, "An", "staff", department="growth", stores=("HS-SHOPEE",), locale="en",
            now=now,
        )  # fmt: skip
    return connected(org)


async def reminders_by_chat(session_factory: SF) -> dict[int, list[OutboxMessage]]:
    async with session_factory() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    found: dict[int, list[OutboxMessage]] = {}
    for row in rows:
        found.setdefault(row.chat_id, []).append(row)
    return found


def button_texts(row: OutboxMessage) -> list[str]:
    markup: dict[str, Any] = row.payload.get("reply_markup") or {}
    return [b["text"] for line in markup.get("inline_keyboard", []) for b in line]


async def import_shopee(session_factory: SF, now: datetime) -> None:
    async with session_factory() as session, session.begin():
        store = await catalog.get_store_by_code(session, "HS-SHOPEE")
        assert store is not None
        await reports.save_report(
            session,
            subject_key=f"store:{store.id}",
            store_id=store.id,
            member_id=None,
            form="growth",
            business_date=DAY,
            values={"gmv": 12_500_000.0, "orders": 85.0},
            expected_revision=0,
            actor_id=None,
            now=now,
            source="import:shopee_vn",
            detail="Order.all.20261120.xlsx sha256:ab12",
        )


async def test_reminder_says_the_automatic_data_has_not_arrived(
    session_factory: SF, clock: FrozenClock
) -> None:
    org = await seed(session_factory, clock.now())
    outcome = await run_job(session_factory, org, "reminder", REMINDER_AT, default_handlers())
    assert outcome.status == "done" and "2 reminder(s) queued" in (outcome.detail or "")
    rows = await reminders_by_chat(session_factory)
    [minh] = rows[MINH]
    text = minh.payload["text"]
    # The typed store keeps today's text; the connected one gets its own paragraph.
    assert "bạn chưa báo cáo số liệu ngày <b>20/11/2026</b> cho:" in text
    assert "• <b>HS-TIKTOK</b> · " in text
    assert "• <b>HS-SHOPEE</b>" not in text
    assert f"\n\n{SHOPEE_LINE_VI}\n" in text
    assert text.index("HS-TIKTOK") < text.index(SHOPEE_LINE_VI)
    # Typing the numbers stays one tap away for both.
    assert button_texts(minh) == ["📝 HS-SHOPEE", "📝 HS-TIKTOK"]

    [an] = rows[AN]
    assert an.payload["text"] == (
        "⏰ <b>Report due</b> (10:30)\n"
        "An, the numbers for <b>20/11/2026</b> are still missing:\n"
        f"{SHOPEE_LINE_EN}\n\n"
        "Press a store to report it now."
    )
    assert button_texts(an) == ["📝 HS-SHOPEE"]


async def test_the_deadline_is_the_default_expected_time(
    session_factory: SF, clock: FrozenClock
) -> None:
    org = connected(await seed(session_factory, clock.now()), expected_by=None)
    await run_job(session_factory, org, "reminder", REMINDER_AT, default_handlers())
    [an] = (await reminders_by_chat(session_factory))[AN]
    assert "has not arrived by 10:30" in an.payload["text"]


async def test_no_reminder_for_numbers_that_arrived_by_import(
    session_factory: SF, clock: FrozenClock
) -> None:
    org = await seed(session_factory, clock.now())
    await import_shopee(session_factory, datetime(2026, 11, 21, 8, 0, tzinfo=HCM))
    async with session_factory() as session:
        sources = (await session.scalars(select(ValueRevision.source))).all()
    assert set(sources) == {"import:shopee_vn"}
    outcome = await run_job(session_factory, org, "reminder", REMINDER_AT, default_handlers())
    assert "1 reminder(s) queued" in (outcome.detail or "")
    rows = await reminders_by_chat(session_factory)
    assert AN not in rows  # their only store's data arrived
    [minh] = rows[MINH]
    assert "HS-TIKTOK" in minh.payload["text"]
    assert "HS-SHOPEE" not in minh.payload["text"] and "🤖" not in minh.payload["text"]
    assert button_texts(minh) == ["📝 HS-TIKTOK"]


async def test_the_nudge_leaves_out_data_not_due_yet(
    session_factory: SF, clock: FrozenClock
) -> None:
    org = await seed(session_factory, clock.now())
    await run_job(session_factory, org, "nudge", NUDGE_AT, default_handlers())
    rows = await reminders_by_chat(session_factory)
    assert AN not in rows  # HS-SHOPEE's data is expected by 10:00; the nudge runs at 09:45
    [minh] = rows[MINH]
    assert "HS-TIKTOK" in minh.payload["text"] and "HS-SHOPEE" not in minh.payload["text"]
    assert button_texts(minh) == ["📝 HS-TIKTOK"]


async def test_the_nudge_names_data_already_late(session_factory: SF, clock: FrozenClock) -> None:
    org = connected(await seed(session_factory, clock.now()), expected_by=time(9, 30))
    await run_job(session_factory, org, "nudge", NUDGE_AT, default_handlers())
    [an] = (await reminders_by_chat(session_factory))[AN]
    assert "a gentle nudge" in an.payload["text"]
    assert "The automatic data for <b>HS-SHOPEE</b> has not arrived by 09:30" in an.payload["text"]
