"""Reminder, nudge and escalation jobs through run_job: what lands in the outbox, once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support.people import add_person, sync_demo_org
from support.report_rows import add_store_report

from bot.clock import FrozenClock
from bot.org.schema import OrgConfig
from jobs.runner import run_job
from jobs.table import default_handlers
from storage.models import DayOff, Member, OutboxMessage, Store
from storage.repositories import catalog

SF = async_sessionmaker[AsyncSession]
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
REMINDER_AT = datetime(2026, 11, 21, 10, 30, tzinfo=HCM)
NUDGE_AT = datetime(2026, 11, 21, 9, 45, tzinfo=HCM)
ESCALATION_AT = datetime(2026, 11, 21, 11, 0, tzinfo=HCM)
DAY = date(2026, 11, 20)
BOD_CHAT = -1001000000001


async def seed(session_factory: SF, now: datetime) -> tuple[OrgConfig, dict[str, Member]]:
    async with session_factory() as session, session.begin():
        org = await sync_demo_org(session)
        people = {
            "minh": await add_person(
                session,
                11,
                "Minh",
                "staff",
                department="growth",
                stores=("HS-SHOPEE", "HS-TIKTOK"),
                now=now,
            ),
            "hanh": await add_person(
                session,
                12,
                "Hạnh",
                "staff",
                department="growth",
                stores=("HS-TIKTOK",),
                locale="en",
                now=now,
            ),
            "tuan": await add_person(session, 13, "Tuấn", "manager", department="growth", now=now),
            "vy": await add_person(session, 14, "Vy", "staff", department="livestream", now=now),
            "lan": await add_person(session, 15, "Lan", "admin", now=now),
        }
    return org, people


async def outbox_rows(session_factory: SF) -> list[OutboxMessage]:
    async with session_factory() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


def buttons(row: OutboxMessage) -> list[tuple[str, str]]:
    markup: dict[str, Any] = row.payload.get("reply_markup") or {}
    return [
        (b["text"], b["callback_data"]) for line in markup.get("inline_keyboard", []) for b in line
    ]


async def store_id(session_factory: SF, code: str) -> int:
    async with session_factory() as session:
        found = await session.scalar(select(Store.id).where(Store.code == code))
    assert found is not None
    return int(found)


async def test_one_reminder_per_missing_member_with_a_button_per_store(
    session_factory: SF, clock: FrozenClock
) -> None:
    org, people = await seed(session_factory, clock.now())
    first = await run_job(session_factory, org, "reminder", REMINDER_AT, default_handlers())
    assert first.status == "done" and "3 reminder(s) queued for 2026-11-20" in (first.detail or "")
    rows = {row.chat_id: row for row in await outbox_rows(session_factory)}
    assert set(rows) == {11, 12, 14}  # not the manager (no stores), not the admin
    minh = rows[11]
    assert minh.dedupe_key == f"reminder:2026-11-20:{people['minh'].id}"
    assert minh.priority == 50 and minh.kind == "reminder"
    assert "20/11/2026" in minh.payload["text"] and "HS-SHOPEE" in minh.payload["text"]
    shopee, tiktok = (
        await store_id(session_factory, "HS-SHOPEE"),
        await store_id(session_factory, "HS-TIKTOK"),
    )
    assert buttons(minh) == [
        ("📝 HS-SHOPEE", f"rm:20261120:{shopee}"),
        ("📝 HS-TIKTOK", f"rm:20261120:{tiktok}"),
    ]
    assert "Report due" in rows[12].payload["text"]  # Hạnh reads English
    assert buttons(rows[14]) == [("📝 Báo cáo ngay", "rm:20261120:0")]

    again = await run_job(session_factory, org, "reminder", REMINDER_AT, default_handlers())
    assert again.status == "already_ran"
    # Even the handler called again for the same date queues nothing new.
    async with session_factory() as session, session.begin():
        detail = await default_handlers()["reminder"](session, org, "2026-11-21", REMINDER_AT)
    assert detail is not None and detail.startswith("0 reminder(s) queued")
    assert len(await outbox_rows(session_factory)) == 3


async def test_reported_stores_are_left_out(session_factory: SF, clock: FrozenClock) -> None:
    org, _ = await seed(session_factory, clock.now())
    async with session_factory() as session, session.begin():
        await add_store_report(session, "HS-TIKTOK", DAY, clock.now())
    await run_job(session_factory, org, "reminder", REMINDER_AT, default_handlers())
    rows = {row.chat_id: row for row in await outbox_rows(session_factory)}
    assert set(rows) == {11, 14}
    assert "HS-TIKTOK" not in rows[11].payload["text"]
    assert [text for text, _ in buttons(rows[11])] == ["📝 HS-SHOPEE"]


async def test_many_stores_get_eight_buttons_and_a_pointer_to_report(
    session_factory: SF, clock: FrozenClock
) -> None:
    async with session_factory() as session, session.begin():
        org = await sync_demo_org(session)
        brand = (await catalog.list_brands(session))[0]
        growth = await catalog.get_department_by_code(session, "growth")
        assert growth is not None and len(org.stores) == 7
        # Three more stores than the demo org has, to pass the eight-button limit.
        session.add_all(
            Store(
                code=f"EXTRA-{n}",
                name=f"Extra {n}",
                platform="web",
                brand_id=brand.id,
                department_id=growth.id,
                active=True,
            )
            for n in range(3)
        )
        await session.flush()
        codes = [s.code for s in await catalog.list_stores(session)]
        await add_person(
            session, 31, "Quản lý kho", "staff", department="growth", stores=codes, now=clock.now()
        )
    await run_job(session_factory, org, "reminder", REMINDER_AT, default_handlers())
    (row,) = await outbox_rows(session_factory)
    assert len(buttons(row)) == 8
    assert "2 gian hàng còn lại: gõ /report" in row.payload["text"]
    assert row.payload["text"].count("• ") == 10  # every store is named


async def test_nudge_is_gentler_and_keyed_apart(session_factory: SF, clock: FrozenClock) -> None:
    org, people = await seed(session_factory, clock.now())
    await run_job(session_factory, org, "nudge", NUDGE_AT, default_handlers())
    await run_job(session_factory, org, "reminder", REMINDER_AT, default_handlers())
    rows = [row for row in await outbox_rows(session_factory) if row.chat_id == 11]
    assert [row.dedupe_key for row in rows] == [
        f"nudge:2026-11-20:{people['minh'].id}",
        f"reminder:2026-11-20:{people['minh'].id}",
    ]
    assert "nhắc nhẹ" in rows[0].payload["text"] and "10:30" in rows[0].payload["text"]
    assert buttons(rows[0]) == buttons(rows[1])


async def test_unreachable_and_away_members_get_no_reminder(
    session_factory: SF, clock: FrozenClock
) -> None:
    org, people = await seed(session_factory, clock.now())
    async with session_factory() as session, session.begin():
        vy = await session.get(Member, people["vy"].id)
        assert vy is not None
        vy.reachable = False
        session.add(
            DayOff(
                member_id=people["minh"].id,
                day=date(2026, 11, 21),
                status="approved",
                requested_at=clock.now(),
            )
        )
    await run_job(session_factory, org, "reminder", REMINDER_AT, default_handlers())
    assert [row.chat_id for row in await outbox_rows(session_factory)] == [12]


async def test_no_reminder_for_a_holiday(session_factory: SF, clock: FrozenClock) -> None:
    org, _ = await seed(session_factory, clock.now())
    after_holiday = datetime(2026, 9, 3, 10, 30, tzinfo=HCM)  # covers 2 September
    outcome = await run_job(session_factory, org, "reminder", after_holiday, default_handlers())
    assert outcome.status == "done" and "not a working day" in (outcome.detail or "")
    assert await outbox_rows(session_factory) == []


async def test_a_run_just_after_midnight_chases_the_day_before(
    session_factory: SF, clock: FrozenClock
) -> None:
    org, people = await seed(session_factory, clock.now())
    just_after_midnight = datetime(2026, 11, 22, 0, 5, tzinfo=HCM)
    outcome = await run_job(
        session_factory, org, "reminder", just_after_midnight, default_handlers()
    )
    assert outcome.period == "2026-11-22"
    keys = {row.dedupe_key for row in await outbox_rows(session_factory)}
    assert f"reminder:2026-11-21:{people['minh'].id}" in keys


@pytest.fixture
def far_server_timezone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


async def test_the_server_timezone_does_not_change_the_business_date(
    session_factory: SF, clock: FrozenClock, far_server_timezone: None
) -> None:
    assert time.strftime("%Z") in ("PST", "PDT")
    org, people = await seed(session_factory, clock.now())
    # 03:30 UTC is 10:30 in Ho Chi Minh City but still the 20th, 19:30, in Los Angeles.
    at = REMINDER_AT.astimezone(ZoneInfo("UTC"))
    outcome = await run_job(session_factory, org, "reminder", at, default_handlers())
    assert outcome.period == "2026-11-21"
    keys = {row.dedupe_key for row in await outbox_rows(session_factory)}
    assert f"reminder:2026-11-20:{people['minh'].id}" in keys


async def test_escalation_lists_who_is_missing_with_streaks_and_coverage_for_bod(
    session_factory: SF, clock: FrozenClock
) -> None:
    joined = clock.now() - timedelta(days=10)
    org, people = await seed(session_factory, joined)
    async with session_factory() as session, session.begin():
        for day in (date(2026, 11, d) for d in range(10, 21)):
            await add_store_report(session, "HS-TIKTOK", day, joined)
        await add_store_report(session, "HS-SHOPEE", date(2026, 11, 18), joined)
        other = await add_person(
            session, 17, "Bình", "manager", department="growth", locale="en", now=joined
        )
    outcome = await run_job(session_factory, org, "escalation", ESCALATION_AT, default_handlers())
    assert outcome.status == "done"
    rows = {row.chat_id: row for row in await outbox_rows(session_factory)}
    assert set(rows) == {13, 17, BOD_CHAT}  # both growth managers and the bod chat
    tuan = rows[13].payload["text"]
    assert "Tăng trưởng" in tuan and "20/11/2026" in tuan
    assert "Minh</b> — HS-SHOPEE · 2 ngày liên tiếp" in tuan
    assert "Hạnh" not in tuan and "Vy" not in tuan  # reported / other department
    assert rows[13].dedupe_key == f"escalation:2026-11-20:{people['tuan'].id}"
    assert "Growth" in rows[17].payload["text"] and "2 days in a row" in rows[17].payload["text"]
    assert rows[17].dedupe_key == f"escalation:2026-11-20:{other.id}"
    bod = rows[BOD_CHAT].payload["text"]
    assert "Tăng trưởng: 1/7 (14%)" in bod and "Livestream: 0/1 (0%)" in bod
    assert "Tổng: 1/8 (12%)" in bod
    assert (
        await run_job(session_factory, org, "escalation", ESCALATION_AT, default_handlers())
    ).status == "already_ran"


async def test_escalation_names_members_who_blocked_the_bot(
    session_factory: SF, clock: FrozenClock
) -> None:
    org, people = await seed(session_factory, clock.now())
    async with session_factory() as session, session.begin():
        minh = await session.get(Member, people["minh"].id)
        assert minh is not None
        minh.reachable = False
    await run_job(session_factory, org, "escalation", ESCALATION_AT, default_handlers())
    (manager,) = [row for row in await outbox_rows(session_factory) if row.chat_id == 13]
    assert (
        "Minh</b> — HS-SHOPEE, HS-TIKTOK · 1 ngày liên tiếp (đã chặn bot)"
        in (manager.payload["text"])
    )


async def test_nothing_to_escalate_sends_nothing(session_factory: SF, clock: FrozenClock) -> None:
    org, people = await seed(session_factory, clock.now())
    async with session_factory() as session, session.begin():
        await add_store_report(session, "HS-SHOPEE", DAY, clock.now())
        await add_store_report(session, "HS-TIKTOK", DAY, clock.now())
        vy = await session.get(Member, people["vy"].id)
        assert vy is not None
        vy.active = False
    outcome = await run_job(session_factory, org, "escalation", ESCALATION_AT, default_handlers())
    assert "nothing to escalate" in (outcome.detail or "")
    assert await outbox_rows(session_factory) == []
