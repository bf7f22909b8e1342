"""KPI reads on every backend: sums per subject and per day, reported days, plans, first sent."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support.people import sync_demo_org

from bot.clock import FrozenClock
from bot.demo.kpi_data import write_plan, write_report
from storage.repositories import catalog
from storage.repositories import kpi as kpi_repo


async def test_sums_days_plans_and_first_sending(
    session_factory: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    async with session_factory() as session, session.begin():
        await sync_demo_org(session)
        one = await catalog.get_store_by_code(session, "HS-SHOPEE")
        two = await catalog.get_store_by_code(session, "HS-TIKTOK")
        assert one is not None and two is not None
        for store, day, gmv in ((one, 1, 5e6), (one, 2, 7e6), (two, 2, 3e6), (two, 9, 1e6)):
            await write_report(
                session,
                subject_key=kpi_repo.store_key(store.id),
                store_id=store.id,
                form="growth",
                day=date(2026, 11, day),
                values={"gmv": gmv, "orders": 10},
                sent_at=datetime(2026, 11, day + 1, 2, 0, tzinfo=UTC),
            )
        await write_plan(
            session, store_id=one.id, year=2026, month=11, targets={"gmv": 9e7}, now=clock.now()
        )
    keys = [kpi_repo.store_key(one.id), kpi_repo.store_key(two.id)]
    start, end = date(2026, 11, 1), date(2026, 11, 5)
    async with session_factory() as session:
        totals = await kpi_repo.metric_totals(session, keys, start, end)
        assert totals == {
            keys[0]: {"gmv": 12e6, "orders": 20},
            keys[1]: {"gmv": 3e6, "orders": 10},
        }
        assert await kpi_repo.metric_totals(session, keys, start, end, ["gmv"]) == {
            keys[0]: {"gmv": 12e6},
            keys[1]: {"gmv": 3e6},
        }
        daily = await kpi_repo.daily_totals(session, keys, start, end, ["gmv"])
        assert daily == {date(2026, 11, 1): {"gmv": 5e6}, date(2026, 11, 2): {"gmv": 10e6}}
        days = await kpi_repo.reported_days(session, keys, start, end)
        assert days == {
            keys[0]: {date(2026, 11, 1), date(2026, 11, 2)},
            keys[1]: {date(2026, 11, 2)},
        }
        cells = await kpi_repo.subject_daily_values(session, keys[:1], "gmv", start, end)
        assert cells == {keys[0]: {date(2026, 11, 1): 5e6, date(2026, 11, 2): 7e6}}
        plans = await kpi_repo.plans_for(session, [one.id, two.id], ["2026-11"])
        assert plans == {one.id: {"2026-11": {"gmv": (9e7, {})}}}
        sent = await kpi_repo.first_sent(session, keys[1:], start, end)
        assert sent == {keys[1]: {date(2026, 11, 2): datetime(2026, 11, 3, 2, 0, tzinfo=UTC)}}
        assert await kpi_repo.metric_totals(session, [], start, end) == {}
