"""Punctuality counts only reports whose deadline has passed: /me, /kpi and /dept at 05:00,
before the 10:30 deadline of yesterday's report, and at 11:00, after it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from support.bot_harness import BotUnderTest

from bot.demo.kpi_data import write_report
from bot.roles import Role
from bot.sandbox.client import SandboxUser
from storage.repositories import catalog

HCM_05_00 = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)  # 21/11 05:00 in Ho Chi Minh City
HCM_11_00 = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)  # 21/11 11:00
NOT_REPORTED = {7, 13, 20}  # the 20th is due on the 21st at 10:30


def sent_at(day_number: int) -> datetime:
    """08:00 in Ho Chi Minh City the morning after: on time."""
    return datetime(2026, 11, day_number, 1, 0, tzinfo=UTC) + timedelta(days=1)


async def seed_store_reports(app: BotUnderTest, code: str, skip: set[int]) -> None:
    async with app.db.session_factory() as session, session.begin():
        store = await catalog.get_store_by_code(session, code)
        assert store is not None
        for n in sorted(set(range(1, 21)) - skip):
            await write_report(
                session,
                subject_key=f"store:{store.id}",
                store_id=store.id,
                form="growth",
                day=date(2026, 11, n),
                values={"gmv": 10_000_000, "orders": 50, "traffic": 2000},
                sent_at=sent_at(n),
            )


async def seed_own_reports(app: BotUnderTest, telegram_id: int, skip: set[int]) -> None:
    member = await app.member(telegram_id)
    assert member is not None
    async with app.db.session_factory() as session, session.begin():
        for n in sorted(set(range(1, 21)) - skip):
            await write_report(
                session,
                subject_key=f"member:{member.id}",
                member_id=member.id,
                form="livestream",
                day=date(2026, 11, n),
                values={"live_sessions": 2, "live_hours": 4},
                sent_at=sent_at(n),
            )


@pytest.fixture
async def hanh(app: BotUnderTest, user_factory) -> SandboxUser:
    user = user_factory(6102, "Hạnh")
    await app.join(user, Role.STAFF, "growth", ("HS-TIKTOK",))
    return user


@pytest.mark.parametrize(
    ("instant", "missing", "rate"),
    [(HCM_05_00, 2, "89%"), (HCM_11_00, 3, "85%")],
    ids=["05:00", "11:00"],
)
async def test_me_counts_yesterday_only_after_its_deadline(
    app: BotUnderTest, hanh: SandboxUser, instant: datetime, missing: int, rate: str
) -> None:
    await seed_store_reports(app, "HS-TIKTOK", NOT_REPORTED)
    app.clock.set(instant)
    await hanh.send("/me")
    photo = await hanh.next_photo()
    # 17 reports sent at 08:00; the 7th and 13th missing; the 20th only once it is due.
    assert f"17 đúng hạn · 0 trễ · {missing} thiếu ({rate} đúng hạn)" in photo.text
    assert ("20/11" in photo.text) is (instant == HCM_11_00)  # named as a missing day


async def test_me_at_05_00_counts_a_report_already_sent_as_on_time(
    app: BotUnderTest, hanh: SandboxUser
) -> None:
    await seed_store_reports(app, "HS-TIKTOK", {7, 13})
    app.clock.set(sent_at(20) + timedelta(minutes=5))  # 08:05, before the deadline
    await hanh.send("/me")
    photo = await hanh.next_photo()
    assert "18 đúng hạn · 0 trễ · 2 thiếu" in photo.text


@pytest.mark.parametrize(
    ("instant", "store_days", "person_days"),
    [(HCM_05_00, "17/19", "(17/19 ngày)"), (HCM_11_00, "17/20", "(17/20 ngày)")],
    ids=["05:00", "11:00"],
)
async def test_kpi_and_dept_measure_only_due_days(
    app: BotUnderTest,
    user_factory,
    instant: datetime,
    store_days: str,
    person_days: str,
) -> None:
    manager = user_factory(6103, "Tuấn")
    await app.join(manager, Role.MANAGER, "livestream")
    vy = user_factory(6104, "Vy")
    await app.join(vy, Role.STAFF, "livestream")
    await seed_store_reports(app, "HS-TIKTOK", NOT_REPORTED)
    await seed_own_reports(app, 6104, NOT_REPORTED)
    admin = user_factory(6105, "Lan")
    await app.join(admin, Role.ADMIN)
    app.clock.set(instant)
    await admin.send("/kpi HS-TIKTOK")
    kpi = await admin.next_photo()
    assert f"đã báo cáo {store_days} ngày-gian hàng" in kpi.text
    assert ("20/11" in kpi.text.split("Thiếu báo cáo")[-1]) is (instant == HCM_11_00)
    await manager.send("/dept")
    dept = await manager.next_photo()
    assert person_days in dept.text
