"""Personal targets end to end: /me shows the member's id and attainment against their own
target (pacing and forecast like a store's), /dept shows each person against theirs.

The harness clock is 2026-11-21 09:00 local: reports up to 20/11 are due. Quân (Media) posted
one video a day from 1 to 20 November; his November target is 60 videos with no day weights,
so 2 a day: pacing 20 / 40 = 50%, 33% of the month, forecast 20 + 10 days x 2 x 50% = 30.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from support.bot_harness import BotUnderTest

from bot.demo.kpi_data import write_report
from bot.roles import Role
from bot.sandbox.client import SandboxUser
from storage.repositories import catalog
from storage.repositories import person_targets as repo

PNG = b"\x89PNG"


@pytest.fixture
async def khoa(app: BotUnderTest, user_factory) -> SandboxUser:
    user = user_factory(6201, "Khoa")
    await app.join(user, Role.MANAGER, "media")
    return user


@pytest.fixture
async def quan(app: BotUnderTest, user_factory) -> SandboxUser:
    user = user_factory(6202, "Quân")
    await app.join(user, Role.STAFF, "media")
    member = await app.member(6202)
    assert member is not None
    async with app.db.session_factory() as session, session.begin():
        for day in range(1, 21):
            await write_report(
                session,
                subject_key=f"member:{member.id}",
                member_id=member.id,
                form="media",
                day=date(2026, 11, day),
                values={"videos": 1},
                sent_at=datetime(2026, 11, day, 10, 0, tzinfo=UTC) + timedelta(hours=1),
            )
        await repo.add_target(
            session,
            member_id=member.id,
            metric="videos",
            month="2026-11",
            target=60,
            day_weights={},
            by=None,
            now=app.clock.now(),
        )
    return user


async def test_me_shows_attainment_against_the_personal_target(
    app: BotUnderTest, quan: SandboxUser
) -> None:
    await quan.send("/me")
    photo = await quan.next_photo()
    assert photo.data is not None and photo.data.startswith(PNG)
    assert "ID của bạn" in photo.text and "6202" in photo.text
    assert "Mục tiêu cá nhân" in photo.text
    assert "Video đã đăng: 20 / 60 (33%) · tiến độ 50% · dự báo 30" in photo.text


async def test_dept_shows_each_person_against_their_target(
    app: BotUnderTest, khoa: SandboxUser, quan: SandboxUser
) -> None:
    await khoa.send("/dept")
    photo = await khoa.next_photo()
    assert "Quân: Video đã đăng 20 / 60 (33%) · tiến độ 50%" in photo.text
    # Media receives order requests: its section follows, even with no request yet.
    assert "Yêu cầu đặt việc (28 ngày)" in photo.text


async def test_me_without_a_target_is_as_before_with_the_id(
    app: BotUnderTest, khoa: SandboxUser
) -> None:
    await khoa.send("/me")
    reply = await khoa.next_message()
    assert "6201" in reply.text
    assert "Mục tiêu cá nhân" not in reply.text


async def test_dept_of_a_store_department_lists_store_owners_against_their_targets(
    app: BotUnderTest, user_factory
) -> None:
    tuan, hanh = user_factory(6203, "Tuấn"), user_factory(6204, "Hạnh")
    await app.join(tuan, Role.MANAGER, "growth")
    await app.join(hanh, Role.STAFF, "growth", ("HS-TIKTOK",))
    member = await app.member(6204)
    assert member is not None
    async with app.db.session_factory() as session, session.begin():
        store = await catalog.get_store_by_code(session, "HS-TIKTOK")
        assert store is not None
        for day in range(1, 21):
            await write_report(
                session,
                subject_key=f"store:{store.id}",
                store_id=store.id,
                form="growth",
                day=date(2026, 11, day),
                values={"gmv": 10_000_000},
                sent_at=datetime(2026, 11, day, 12, 0, tzinfo=UTC),
            )
        await repo.add_target(
            session,
            member_id=member.id,
            metric="gmv",
            month="2026-11",
            target=400_000_000,
            day_weights={},
            by=None,
            now=app.clock.now(),
        )
    await tuan.send("/dept")
    photo = await tuan.next_photo()
    # 200tr of 400tr; the plan of the 20 reported days is 266,7tr: pace 75%.
    assert "Hạnh: Doanh thu (GMV) 200tr / 400tr (50%) · tiến độ 75%" in photo.text
