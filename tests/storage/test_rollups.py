"""KPI rollups against a fresh aggregation of daily_values, on every backend: seeded random
writes, revisions and clears through the chat form's repository and the import/API path
(``apply_items``), a store moved to another platform, then ``rebuild``; the KPI sums read from
the rollups equal sums over the daily values."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support.people import DEMO_ORG_FILE, add_person, demo_org, sync_demo_org
from typer.testing import CliRunner

from bot.domain.ingest import DayValues, ItemResult
from bot.i18n import Translator
from bot.org.loader import parse_org_text
from bot.org.schema import OrgConfig
from bot.services import ingest
from bot.services.ingest import IngestScope
from storage.cli import db_app
from storage.database import open_database
from storage.models import DailyRollup, DailyValue, MonthlyRollup, Store
from storage.repositories import catalog, reports, rollups
from storage.repositories import kpi as kpi_repo

SF = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
FIRST = date(2026, 9, 25)
LAST = date(2026, 11, 20)
METRICS = ("gmv", "nmv", "orders", "cancelled", "returned", "traffic", "ads_cost")
EXTRA = ("HS-SHOPEE-2", "HS-SHOPEE-3", "TTSG-Q2")


async def _setup(session_factory: SF) -> tuple[list[Store], int]:
    async with session_factory() as session, session.begin():
        await sync_demo_org(session)
        hs = await catalog.get_brand_by_code(session, "HS")
        ttsg = await catalog.get_brand_by_code(session, "TTSG")
        growth = await catalog.get_department_by_code(session, "growth")
        assert hs and ttsg and growth
        for code, brand, platform in zip(
            EXTRA, (hs.id, hs.id, ttsg.id), ("shopee", "shopee", "pos"), strict=True
        ):
            await catalog.upsert_store(
                session,
                code=code,
                name=code,
                platform=platform,
                brand_id=brand,
                department_id=growth.id,
            )
        person = await add_person(session, 7001, "Lan", "staff", department="livestream", now=NOW)
        return list(await catalog.list_stores(session)), person.id


def _values(rng: random.Random, clears: bool) -> dict[str, float | None]:
    chosen = rng.sample(METRICS, rng.randint(1, len(METRICS)))
    result: dict[str, float | None] = {}
    for metric in chosen:
        if clears and rng.random() < 0.25:
            result[metric] = None
        else:
            result[metric] = float(rng.randint(0, 30) * rng.choice((1, 1000, 100_000)))
    return result


async def _chat_write(session: AsyncSession, key: str, store_id: int | None, day: date, values):
    form = "growth" if store_id is not None else "livestream"
    current = await reports.load_report(session, key, form, day)
    await reports.save_report(
        session,
        subject_key=key,
        store_id=store_id,
        member_id=None,
        form=form,
        business_date=day,
        values=values,
        expected_revision=current.revision if current else 0,
        actor_id=None,
        now=NOW,
        source="chat",
    )


def _api_item(rng: random.Random, code: str, day: date) -> DayValues:
    orders = rng.randint(10, 200)
    values = {
        "gmv": float(orders * rng.randint(100, 200) * 1000),
        "orders": float(orders),
        "cancelled": float(rng.randint(0, 3)),
        "traffic": float(orders * rng.randint(20, 40)),
        "ads_cost": float(rng.randint(1, 9) * 100_000),
    }
    picked = rng.sample(sorted(values), rng.randint(1, len(values)))
    return DayValues(code, day, {k: values[k] for k in picked})


async def _api_push(
    session: AsyncSession, org: OrgConfig, items: list[DayValues]
) -> list[ItemResult]:
    """What the HTTP API does with a batch of an all-stores token."""
    return await ingest.apply_items(
        session,
        org,
        items,
        IngestScope(None, None),
        source="api:test",
        detail=None,
        actor_id=None,
        now=NOW,
        t=Translator("en"),
    )


async def _random_writes(
    session_factory: SF, stores: list[Store], person: int, seed: int, rounds: int = 12
) -> int:
    rng = random.Random(seed)
    org = demo_org()
    written = 0
    days = [FIRST + timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
    for round_ in range(rounds):
        async with session_factory() as session, session.begin():
            for _ in range(10):
                day = rng.choice(days[-20:] if rng.random() < 0.5 else days)
                if rng.random() < 0.15:
                    await _chat_write(session, f"member:{person}", None, day, _values(rng, True))
                elif rng.random() < 0.6:
                    store = rng.choice(stores)
                    key = f"store:{store.id}"
                    await _chat_write(session, key, store.id, day, _values(rng, True))
                else:
                    items = [_api_item(rng, rng.choice(stores).code, day) for _ in range(3)]
                    results = await _api_push(session, org, items)
                    written += sum(r.status in ("created", "updated") for r in results)
            if round_ == rounds // 2:
                # A store moved to another platform takes its history along.
                moved = next(s for s in stores if s.code == "HS-SHOPEE-3")
                await catalog.upsert_store(
                    session,
                    code=moved.code,
                    name=moved.name,
                    platform="tiktok",
                    brand_id=moved.brand_id,
                    department_id=moved.department_id,
                )
    return written


async def _assert_rollups_fresh(session_factory: SF) -> None:
    async with session_factory() as session:
        stored_m, fresh_m = (
            await rollups.stored_monthly(session),
            await rollups.fresh_monthly(session),
        )
        stored_d, fresh_d = await rollups.stored_daily(session), await rollups.fresh_daily(session)
    assert stored_m.keys() == fresh_m.keys()
    for key, (total, count) in fresh_m.items():
        assert stored_m[key][1] == count, key
        assert stored_m[key][0] == pytest.approx(total, rel=1e-12, abs=1e-6), key
    assert stored_d.keys() == fresh_d.keys()
    for key, (total, count) in fresh_d.items():
        assert stored_d[key][1] == count, key
        assert stored_d[key][0] == pytest.approx(total, rel=1e-12, abs=1e-6), key


async def _plain_sums(session: AsyncSession, keys: list[str], start: date, end: date):
    rows = await session.execute(
        select(
            DailyValue.subject_key, DailyValue.business_date, DailyValue.metric, DailyValue.value
        )
    )
    per_subject: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    per_day: dict[date, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for subject, day, metric, value in rows.all():
        if subject in keys and start <= day <= end:
            per_subject[subject][metric] += value
            per_day[day][metric] += value
    return (
        {s: dict(m) for s, m in per_subject.items()},
        {d: dict(m) for d, m in per_day.items()},
    )


def _close(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    for outer, inner in want.items():
        assert got[outer].keys() == inner.keys(), outer
        for key, value in inner.items():
            assert got[outer][key] == pytest.approx(value, rel=1e-12, abs=1e-6), (outer, key)


async def test_rollups_follow_every_write_and_rebuild(session_factory: SF) -> None:
    stores, person = await _setup(session_factory)
    written = await _random_writes(session_factory, stores, person, seed=15)
    assert written > 10  # the import/API path did write
    await _assert_rollups_fresh(session_factory)
    async with session_factory() as session:
        assert await session.scalar(select(MonthlyRollup.days).limit(1)) is not None
        assert await session.scalar(select(DailyRollup.stores).limit(1)) is not None
        before_m, before_d = (
            await rollups.stored_monthly(session),
            await rollups.stored_daily(session),
        )
    async with session_factory() as session, session.begin():
        # Rollups damaged by hand, then rebuilt: the same rows as the maintained ones.
        await session.execute(delete(DailyRollup).where(DailyRollup.metric == "gmv"))
        await session.execute(update(MonthlyRollup).values(total=MonthlyRollup.total + 1))
        counts = await rollups.rebuild(session)
    await _assert_rollups_fresh(session_factory)
    async with session_factory() as session:
        assert counts == (len(before_m), len(before_d))
        _close(
            {k: {"t": v[0], "n": v[1]} for k, v in (await rollups.stored_monthly(session)).items()},
            {k: {"t": v[0], "n": v[1]} for k, v in before_m.items()},
        )
        assert (await rollups.stored_daily(session)).keys() == before_d.keys()


RANGES = [
    (date(2026, 10, 1), date(2026, 11, 20)),  # a whole month + the current month to date
    (date(2026, 11, 1), date(2026, 11, 10)),  # part of a month with later values
    (date(2026, 9, 28), date(2026, 10, 31)),  # a month's tail + a whole month
    (date(2026, 11, 5), date(2026, 11, 5)),
    (date(2026, 10, 1), date(2026, 10, 24)),  # a month minus its last week
]


async def test_kpi_sums_from_rollups_equal_plain_sums(session_factory: SF) -> None:
    stores, person = await _setup(session_factory)
    await _random_writes(session_factory, stores, person, seed=7)
    async with session_factory() as session:
        active = [s for s in await catalog.list_stores(session)]
        subsets = {
            "all": [f"store:{s.id}" for s in active],
            "hs shopee, one left out": [f"store:{s.id}" for s in active if s.code != "HS-SHOPEE"],
            "one brand, every platform": [f"store:{s.id}" for s in active if s.brand.code == "HS"],
            "one store": [f"store:{active[0].id}"],
            "a person": [f"member:{person}"],
        }
        for (start, end), keys in itertools.product(RANGES, subsets.values()):
            want_subject, want_day = await _plain_sums(session, keys, start, end)
            got = await kpi_repo.metric_totals(session, keys, start, end)
            _close(got, want_subject)
            got_day = await kpi_repo.daily_totals(session, keys, start, end)
            _close(got_day, want_day)
            gmv_day = {d: {"gmv": m["gmv"]} for d, m in want_day.items() if "gmv" in m}
            _close(await kpi_repo.daily_totals(session, keys, start, end, ["gmv"]), gmv_day)


async def test_concurrent_writes_to_one_month_keep_every_delta(
    session_factory: SF, backend: str
) -> None:
    """Two transactions writing different days of the same store and month at once (on
    PostgreSQL really concurrently): the month's rollup has both."""
    stores, _ = await _setup(session_factory)
    store = stores[0]
    key = f"store:{store.id}"

    async def write(day: int, gmv: float) -> None:
        async with session_factory() as session, session.begin():
            await _chat_write(session, key, store.id, date(2026, 11, day), {"gmv": gmv})
            await asyncio.sleep(0.05)  # hold the transaction open while the other one writes

    await asyncio.gather(*(write(d, 1000.0 * d) for d in range(1, 9)))
    async with session_factory() as session:
        row = await session.get(MonthlyRollup, (key, "2026-11", "gmv"))
    assert row is not None and (row.total, row.days) == (36_000.0, 8)
    await _assert_rollups_fresh(session_factory)


def _org_with_second_shopee_store() -> OrgConfig:
    text = DEMO_ORG_FILE.read_text(encoding="utf-8")
    first = "  - code: HS-TIKTOK\n"
    assert text.count(first) == 1
    second = (
        "  - code: HS-SHOPEE-2\n    name: Hoa Sen 2\n    brand: HS\n    platform: shopee\n"
        "    department: growth\n"
    )
    org, problems = parse_org_text(text.replace(first, second + first))
    assert org is not None, problems
    return org


async def test_two_imports_over_the_same_days_in_opposite_orders_both_apply(
    session_factory: SF,
) -> None:
    """Two API batches for stores of one brand and platform, one going forward over twenty days
    and the other backward, at once: they share each day's rollup rows, and both apply (rows
    locked one report at a time were taken in opposite orders and PostgreSQL aborted one as a
    deadlock)."""
    await _setup(session_factory)  # HS-SHOPEE-2 is a second Hoa Sen store on Shopee
    org = _org_with_second_shopee_store()
    codes = ["HS-SHOPEE", "HS-SHOPEE-2"]
    days = [date(2026, 11, d) for d in range(1, 21)]

    async def push(code: str, order: list[date], gmv: float) -> list[str]:
        items = [DayValues(code, day, {"gmv": gmv, "orders": 10.0}) for day in order]
        async with session_factory() as session, session.begin():
            results = await _api_push(session, org, items)
            await asyncio.sleep(0.05)  # hold the locks while the other batch writes
        return [r.status for r in results]

    forward, backward = await asyncio.gather(
        push(codes[0], days, 1_000.0), push(codes[1], days[::-1], 2_000.0)
    )
    assert forward == backward == ["created"] * len(days)
    await _assert_rollups_fresh(session_factory)
    async with session_factory() as session:
        totals = await session.execute(
            select(DailyRollup.total, DailyRollup.stores).where(DailyRollup.metric == "gmv")
        )
    assert sorted(totals.all()) == [(3_000.0, 2)] * len(days)


def test_rebuild_rollups_command(tmp_path: Path) -> None:
    """`opsbot db rebuild-rollups` on rollups damaged by hand (a bulk load that skipped them)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    assert CliRunner().invoke(db_app, ["upgrade", "--database-url", url]).exit_code == 0

    async def seed() -> None:
        database = await open_database(url)
        try:
            stores, person = await _setup(database.session_factory)
            await _random_writes(database.session_factory, stores, person, seed=3, rounds=2)
            async with database.session_factory() as session, session.begin():
                await session.execute(delete(MonthlyRollup))
                await session.execute(update(DailyRollup).values(stores=DailyRollup.stores + 1))
        finally:
            await database.close()

    async def check() -> None:
        database = await open_database(url)
        try:
            await _assert_rollups_fresh(database.session_factory)
        finally:
            await database.close()

    asyncio.run(seed())
    with pytest.raises(AssertionError):
        asyncio.run(check())
    result = CliRunner().invoke(db_app, ["rebuild-rollups", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "rollups rebuilt" in result.output and "monthly rows" in result.output
    asyncio.run(check())
