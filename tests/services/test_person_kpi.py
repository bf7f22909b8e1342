"""Personal attainment uses the stores' formula: the same numbers, target and day weights give
the same pacing, attainment, forecast and required pace as a store (both backends)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support.people import add_person, sync_demo_org

from bot.clock import FrozenClock
from bot.demo.kpi_data import write_plan, write_report
from bot.domain.kpi_results import Target
from bot.domain.periods import month_period
from bot.services import kpi as kpi_service
from bot.services.person_kpi import personal_kpis
from storage.models import Member
from storage.repositories import catalog
from storage.repositories import person_targets as repo

WEIGHTS = {"11": 3.0, "12": 2.0, "20": 1.5}
TARGET = 600_000_000.0
GMV = {day: 8_000_000.0 + 1_000_000.0 * (day % 5) for day in range(1, 21) if day not in (7, 13)}


async def test_personal_attainment_equals_the_store_formula(
    session_factory: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    now = clock.now()  # 2026-11-21 09:00 local: reports up to 20/11 are due
    async with session_factory() as session, session.begin():
        org = await sync_demo_org(session)
        store = await catalog.get_store_by_code(session, "HS-SHOPEE")
        assert store is not None
        hanh = await add_person(
            session, 7, "Hạnh", "staff", department="growth", stores=["HS-SHOPEE"], now=now
        )
        media = await add_person(session, 8, "Quân", "staff", department="media", now=now)
        for day, gmv in GMV.items():
            sent = datetime(2026, 11, day, 1, 0, tzinfo=UTC) + timedelta(days=1)
            await write_report(
                session,
                subject_key=f"store:{store.id}",
                store_id=store.id,
                form="growth",
                day=date(2026, 11, day),
                values={"gmv": gmv, "orders": 40},
                sent_at=sent,
            )
            await write_report(
                session,
                subject_key=f"member:{media.id}",
                member_id=media.id,
                form="media",
                day=date(2026, 11, day),
                values={"videos": gmv / 1_000_000},
                sent_at=sent,
            )
        await write_plan(
            session,
            store_id=store.id,
            year=2026,
            month=11,
            targets={"gmv": TARGET},
            weights=WEIGHTS,
            now=now,
        )
        for member, metric, target in ((hanh, "gmv", TARGET), (media, "videos", TARGET / 1e6)):
            await repo.add_target(
                session,
                member_id=member.id,
                metric=metric,
                month="2026-11",
                target=target,
                day_weights=WEIGHTS,
                by=None,
                now=now,
            )
    period = month_period(2026, 11)
    today = kpi_service.as_of(org, now)
    async with session_factory() as session:
        subject = Target("store", store.id, store.code, store.name, (store,))
        view = await kpi_service.store_set_kpi(session, org, subject, period, today, now=now)
        members = [await session.get(Member, m.id) for m in (hanh, media)]
        people = await personal_kpis(
            session, org, [m for m in members if m is not None], period, today, now=now
        )
    store_gmv = view.report.subjects[0].metrics["gmv"]
    mine = people[hanh.id].metrics["gmv"]
    videos = people[media.id].metrics["videos"]
    assert store_gmv.pacing is not None and store_gmv.forecast is not None
    for name in ("actual", "plan", "attainment", "pacing", "forecast", "required_daily"):
        assert getattr(mine, name) == pytest.approx(getattr(store_gmv, name)), name
        expected = getattr(store_gmv, name)
        scale = 1 if name in ("attainment", "pacing") else 1e6
        assert getattr(videos, name) == pytest.approx(expected / scale), name
    # Pacing by hand: actual over the weighted plan of the 18 reported days.
    weight = {d: WEIGHTS.get(str(d), 1.0) for d in range(1, 31)}
    per_unit = TARGET / sum(weight.values())
    reported_plan = sum(per_unit * weight[d] for d in GMV)
    assert mine.pacing == pytest.approx(sum(GMV.values()) / reported_plan)
    assert set(people) == {hanh.id, media.id}
