"""Who is missing which report: owners, person forms, days off, calendar, streaks, coverage."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support.people import add_person, sync_demo_org
from support.report_rows import add_person_report, add_store_report

from bot.clock import FrozenClock
from bot.domain.missing_reports import MissingReport
from bot.org.schema import OrgConfig
from bot.services.reminders import check_day, missing_reports
from storage.models import DayOff, Member

SF = async_sessionmaker[AsyncSession]
DAY = date(2026, 11, 20)  # Friday; the clock's business date
# The escalation's instant, 11:00 in Ho Chi Minh City: the report of DAY fell due at 10:30.
ESCALATION_AT = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)
HOLIDAY = date(2026, 9, 2)


def by_name(missing: list[MissingReport]) -> dict[str, MissingReport]:
    return {m.member.full_name: m for m in missing}


async def team(session: AsyncSession, now: datetime) -> dict[str, Member]:
    people = {
        "Minh": await add_person(
            session,
            11,
            "Minh",
            "staff",
            department="growth",
            stores=("HS-SHOPEE", "HS-TIKTOK"),
            now=now,
        ),
        "Hạnh": await add_person(
            session, 12, "Hạnh", "staff", department="growth", stores=("HS-TIKTOK",), now=now
        ),
        "Tuấn": await add_person(session, 13, "Tuấn", "manager", department="growth", now=now),
        "Vy": await add_person(session, 14, "Vy", "staff", department="livestream", now=now),
        "Lan": await add_person(session, 15, "Lan", "admin", now=now),
        "Bảo": await add_person(session, 16, "Bảo", "bod", now=now),
    }
    return people


async def test_owners_miss_their_unreported_stores_and_people_their_own_output(
    session_factory: SF, clock: FrozenClock
) -> None:
    now = clock.now()
    async with session_factory() as session, session.begin():
        org = await sync_demo_org(session)
        await team(session, now)
        await add_store_report(session, "HS-TIKTOK", DAY, now)
        missing = by_name(await missing_reports(session, org, DAY))
    assert set(missing) == {"Minh", "Vy"}  # Hạnh's only store is reported; no manager stores
    assert [s.code for s in missing["Minh"].stores] == ["HS-SHOPEE"]
    assert missing["Minh"].per == "store" and missing["Minh"].form_code == "growth"
    assert missing["Vy"].per == "person" and missing["Vy"].stores == ()
    assert missing["Vy"].subject_keys == (f"member:{missing['Vy'].member.id}",)


async def test_a_reported_person_form_is_not_missing(
    session_factory: SF, clock: FrozenClock
) -> None:
    now = clock.now()
    async with session_factory() as session, session.begin():
        org = await sync_demo_org(session)
        people = await team(session, now)
        await add_person_report(session, people["Vy"], "livestream", "live_sessions", DAY, now)
        names = set(by_name(await missing_reports(session, org, DAY)))
    assert "Vy" not in names and "Minh" in names


async def test_approved_day_off_on_the_due_day_skips_the_member(
    session_factory: SF, clock: FrozenClock
) -> None:
    now = clock.now()
    async with session_factory() as session, session.begin():
        org = await sync_demo_org(session)
        people = await team(session, now)
        due = DAY + timedelta(days=1)  # reports cover the previous day
        session.add_all(
            [
                DayOff(member_id=people["Minh"].id, day=due, status="approved", requested_at=now),
                DayOff(member_id=people["Vy"].id, day=due, status="pending", requested_at=now),
                DayOff(member_id=people["Hạnh"].id, day=DAY, status="approved", requested_at=now),
            ]
        )
        await session.flush()
        names = set(by_name(await missing_reports(session, org, DAY)))
    # Minh is away today; Vy's leave is not approved; Hạnh was away yesterday, not today.
    assert names == {"Vy", "Hạnh"}


async def test_holidays_and_non_working_days_have_nobody_missing(
    session_factory: SF, clock: FrozenClock
) -> None:
    now = clock.now()
    async with session_factory() as session, session.begin():
        org = await sync_demo_org(session)
        await team(session, now)
        weekdays = org.report.model_copy(
            update={"working_days": ("mon", "tue", "wed", "thu", "fri")}
        )
        office = org.model_copy(update={"report": weekdays})
        assert await missing_reports(session, org, HOLIDAY) == []
        assert await missing_reports(session, office, date(2026, 11, 21)) == []  # Saturday
        assert len(await missing_reports(session, office, DAY)) == 3
        assert not (await check_day(session, org, HOLIDAY, at=ESCALATION_AT)).working


async def test_inactive_and_unreachable_members(session_factory: SF, clock: FrozenClock) -> None:
    now = clock.now()
    async with session_factory() as session, session.begin():
        org = await sync_demo_org(session)
        people = await team(session, now)
        people["Minh"].active = False
        people["Vy"].reachable = False
        await session.flush()
        reachable = set(by_name(await missing_reports(session, org, DAY)))
        everyone = set(by_name(await missing_reports(session, org, DAY, reachable_only=False)))
    assert reachable == {"Hạnh"}
    assert everyone == {"Hạnh", "Vy"}


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (ESCALATION_AT, {"Minh": 3, "Vy": 14}),
        # 09:00: the 20th is not due until 10:30 and does not count (Vy stays at the cap).
        (ESCALATION_AT - timedelta(hours=2), {"Minh": 2, "Vy": 14}),
    ],
    ids=["after-deadline", "before-deadline"],
)
async def test_streaks_count_working_days_in_a_row(
    session_factory: SF, clock: FrozenClock, at: datetime, expected: dict[str, int]
) -> None:
    joined = clock.now() - timedelta(days=30)
    async with session_factory() as session, session.begin():
        org = await sync_demo_org(session)
        people = await team(session, joined)
        # Minh: HS-SHOPEE reported on the 17th only, HS-TIKTOK every day → missing 18, 19, 20.
        for day in (date(2026, 11, d) for d in range(1, 21)):
            await add_store_report(session, "HS-TIKTOK", day, joined)
        await add_store_report(session, "HS-SHOPEE", date(2026, 11, 17), joined)
        # Vy: never reported, but was away on the 20th (due day of the 19th): 19th excused.
        session.add(
            DayOff(
                member_id=people["Vy"].id,
                day=date(2026, 11, 20),
                status="approved",
                requested_at=joined,
            )
        )
        await session.flush()
        check = await check_day(session, org, DAY, at=at)
    streaks = {m.member.full_name: m.streak for m in check.missing}
    assert streaks == expected


async def test_a_newcomer_s_streak_starts_when_they_joined(
    session_factory: SF, clock: FrozenClock
) -> None:
    async with session_factory() as session, session.begin():
        org = await sync_demo_org(session)
        await add_person(
            session,
            21,
            "Mới",
            "staff",
            department="livestream",
            now=datetime(2026, 11, 19, 3, 0, tzinfo=clock.now().tzinfo),
        )
        check = await check_day(session, org, DAY, at=ESCALATION_AT)
    # Joined on the 19th: the reports due from that day on count (for the 18th, 19th, 20th).
    assert [m.streak for m in check.missing] == [3]


async def test_coverage_per_department(session_factory: SF, clock: FrozenClock) -> None:
    now = clock.now()
    async with session_factory() as session, session.begin():
        org = await sync_demo_org(session)
        people = await team(session, now)
        await add_store_report(session, "HS-TIKTOK", DAY, now)
        await add_store_report(session, "GDAP-SHOPEE", DAY, now)
        # Hạnh's only store's owners are Minh and Hạnh; Vy away → livestream expects nobody.
        session.add(
            DayOff(
                member_id=people["Vy"].id,
                day=DAY + timedelta(days=1),
                status="approved",
                requested_at=now,
            )
        )
        await session.flush()
        check = await check_day(session, org, DAY, at=ESCALATION_AT)
    coverage = {c.code: (c.coverage.reported, c.coverage.expected) for c in check.coverage}
    assert coverage == {"growth": (2, 7)}
    assert check.department_name(people["Minh"].department_id or 0, "en") == "Growth"


async def test_the_whole_check_is_a_handful_of_queries(
    session_factory: SF, clock: FrozenClock
) -> None:
    now = clock.now()
    async with session_factory() as session, session.begin():
        org: OrgConfig = await sync_demo_org(session)
        for i in range(60):
            await add_person(
                session,
                1000 + i,
                f"P{i}",
                "staff",
                department="growth",
                stores=("HS-SHOPEE", "TTSG-Q1"),
                now=now,
            )
            await add_person(session, 2000 + i, f"L{i}", "staff", department="livestream", now=now)
        statements: list[str] = []

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        engine = session.bind.sync_engine  # type: ignore[union-attr]
        event.listen(engine, "before_cursor_execute", count)
        try:
            missing = await missing_reports(session, org, DAY)
            reminder_queries = len(statements)
            check = await check_day(session, org, DAY, at=ESCALATION_AT)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert len(missing) == 120 and len(check.missing) == 120
    assert reminder_queries <= 6
    assert len(statements) - reminder_queries <= 10
