"""The data of the KPI benchmark: the demo org grown to 500 stores, 400 days of reports with
12 metrics each, monthly plans, 20 campaigns and 300 people with personal targets and reports
(``kpi_bench_people``), bulk-loaded into a fresh SQLite file or PostgreSQL schema."""

from __future__ import annotations

import os
import random
import secrets
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import text

from bot.domain.periods import month_key, months_touched
from bot.org.schema import OrgConfig
from bot.org.sync import sync_org
from storage.database import Database, open_database
from storage.models import Member
from storage.repositories import catalog, rollups

ROOT = Path(__file__).resolve().parent.parent
DEMO_ORG = ROOT / "examples" / "demo-org.yaml"
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
STORES, BRANDS, DAYS = 500, 50, 400
NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)  # 09:00 in Ho Chi Minh City
AS_OF = date(2026, 11, 20)
FIRST_DAY = AS_OF - timedelta(days=DAYS - 1)
BOD_IDS = range(9000, 9020)
PLATFORMS = ("shopee", "tiktok", "pos")


def configure(scale: float) -> None:
    """Shrink (or grow) the data set: stores and days times ``scale``, brands in proportion."""
    global STORES, BRANDS, DAYS, FIRST_DAY
    STORES = max(30, round(500 * scale))
    BRANDS = max(3, round(50 * scale))
    DAYS = max(40, round(400 * scale))
    FIRST_DAY = AS_OF - timedelta(days=DAYS - 1)


def bench_org() -> OrgConfig:
    """The demo org with 50 brands and 500 stores on three platforms, all reported by Growth,
    and 20 campaigns over them."""
    import kpi_bench_people as people  # it reads this module's (scaled) sizes

    raw = yaml.safe_load(DEMO_ORG.read_text(encoding="utf-8"))
    # The demo's campaigns (and their alert rules) name stores and brands replaced below.
    raw["campaigns"] = people.campaign_configs()
    raw["alert_rules"] = [r for r in raw["alert_rules"] if "campaign" not in r]
    raw["brands"] = [{"code": f"B{b:02d}", "name": f"Thương hiệu số {b}"} for b in range(BRANDS)]
    raw["stores"] = [
        {
            "code": f"S{s:03d}",
            "name": f"Gian hàng Mỹ Phẩm {s}",
            "brand": f"B{s % BRANDS:02d}",
            "platform": PLATFORMS[s % len(PLATFORMS)],
            "department": "growth",
        }
        for s in range(STORES)
    ]
    return OrgConfig.model_validate(raw)


def metric_keys(org: OrgConfig) -> list[str]:
    keys = [m.key for m in org.base_metrics][:12]
    assert len(keys) == 12, keys
    return keys


def rows(store_ids: list[int], keys: list[str]) -> Iterator[tuple[tuple, list[tuple]]]:
    """(report row, its value rows) per store and day; ids are assigned here."""
    rng = random.Random(7)
    report_id = value_id = 0
    for store_id in store_ids:
        scale = rng.uniform(3e6, 40e6)
        for offset in range(DAYS):
            day = FIRST_DAY + timedelta(days=offset)
            report_id += 1
            sent = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
            report = (report_id, f"store:{store_id}", store_id, "growth", day, sent)
            values = []
            for index, key in enumerate(keys):
                value_id += 1
                number = scale * rng.uniform(0.7, 1.3) if index == 0 else rng.uniform(1, 5000)
                values.append((value_id, report_id, f"store:{store_id}", day, key, round(number)))
            yield report, values


@dataclass
class Seeded:
    store_ids: list[int]
    people: list[tuple[int, str]]  # (member id, department code)
    campaign_ids: dict[str, int]


async def seed_catalog(database: Database, org: OrgConfig) -> Seeded:
    import kpi_bench_people as people

    async with database.session_factory() as session, session.begin():
        await sync_org(session, org)
        growth = await catalog.get_department_by_code(session, "growth")
        for telegram_id in BOD_IDS:
            session.add(
                Member(
                    telegram_id=telegram_id,
                    full_name=f"BOD {telegram_id}",
                    role="bod",
                    department_id=growth.id if growth else None,
                    locale="vi",
                    reachable=True,
                    active=True,
                    joined_at=NOW,
                )
            )
        persons, campaign_ids = await people.seed_people(session, org)
        store_ids = [s.id for s in await catalog.list_stores(session)]
        return Seeded(store_ids, persons, campaign_ids)


def person_rows(seeded: Seeded, org: OrgConfig) -> tuple[list[tuple], list[tuple]]:
    """The people's reports and values, their ids after those of the stores'."""
    import kpi_bench_people as people

    first_report = len(seeded.store_ids) * DAYS + 1
    first_value = len(seeded.store_ids) * DAYS * len(metric_keys(org)) + 1
    return people.person_rows(seeded.people, seeded.campaign_ids, org, first_report, first_value)


def plan_rows(store_ids: list[int]) -> list[tuple]:
    months = [month_key(y, m) for y, m in months_touched(FIRST_DAY, AS_OF)]
    result, plan_id = [], 0
    for store_id in store_ids:
        for month in months:
            for metric, target in (("gmv", 600e6), ("orders", 4000), ("traffic", 150_000)):
                plan_id += 1
                weights = '{"11": 3.0}' if month.endswith("-11") else "{}"
                result.append((plan_id, store_id, metric, month, target, weights, NOW))
    return result


def bulk_sqlite(path: str, seeded: Seeded, org: OrgConfig) -> None:
    store_ids, keys = seeded.store_ids, metric_keys(org)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    stamp = "%Y-%m-%d %H:%M:%S.%f"
    reports, values = [], []
    with connection:
        for report, value_rows in rows(store_ids, keys):
            rid, subject, store_id, form, day, sent = report
            text = sent.strftime(stamp)
            reports.append((rid, subject, store_id, form, day.isoformat(), 1, text, text))
            values += [(a, b, c, d.isoformat(), e, f) for a, b, c, d, e, f in value_rows]
            if len(values) > 200_000:
                _flush_sqlite(connection, reports, values)
                reports, values = [], []
        _flush_sqlite(connection, reports, values)
        person_reports, person_values = person_rows(seeded, org)
        connection.executemany(
            "INSERT INTO reports (id, subject_key, member_id, form, business_date, revision,"
            " created_at, updated_at, campaign_id) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)",
            [
                (rid, subject, member, form, day.isoformat(), sent.strftime(stamp),
                 sent.strftime(stamp), tag)
                for rid, subject, member, form, day, sent, tag in person_reports
            ],
        )  # fmt: skip
        connection.executemany(
            "INSERT INTO daily_values (id, report_id, subject_key, business_date, metric, value)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(a, b, c, d.isoformat(), e, f) for a, b, c, d, e, f in person_values],
        )
        connection.executemany(
            "INSERT INTO plans (id, store_id, metric, month, target, day_weights, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(*row[:6], row[6].strftime(stamp)) for row in plan_rows(store_ids)],
        )
    connection.execute("ANALYZE")
    connection.close()


def _flush_sqlite(connection: sqlite3.Connection, reports: list, values: list) -> None:
    connection.executemany(
        "INSERT INTO reports (id, subject_key, store_id, form, business_date, revision,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        reports,
    )
    connection.executemany(
        "INSERT INTO daily_values (id, report_id, subject_key, business_date, metric, value)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        values,
    )


async def bulk_postgres(url: str, schema: str, seeded: Seeded, org: OrgConfig) -> None:
    import asyncpg

    store_ids, keys = seeded.store_ids, metric_keys(org)
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn, server_settings={"search_path": schema})
    try:
        reports, values = [], []
        for report, value_rows in rows(store_ids, keys):
            rid, subject, store_id, form, day, sent = report
            reports.append((rid, subject, store_id, form, day, 1, sent, sent))
            values += value_rows
            if len(values) > 200_000:
                await _copy_postgres(connection, reports, values)
                reports, values = [], []
        await _copy_postgres(connection, reports, values)
        person_reports, person_values = person_rows(seeded, org)
        await connection.copy_records_to_table(
            "reports",
            records=[
                (rid, subject, member, form, day, 1, sent, sent, tag)
                for rid, subject, member, form, day, sent, tag in person_reports
            ],
            columns=[
                "id",
                "subject_key",
                "member_id",
                "form",
                "business_date",
                "revision",
                "created_at",
                "updated_at",
                "campaign_id",
            ],
        )
        await connection.copy_records_to_table(
            "daily_values",
            records=[(a, b, c, d, e, float(f)) for a, b, c, d, e, f in person_values],
            columns=["id", "report_id", "subject_key", "business_date", "metric", "value"],
        )
        plans = [(a, b, c, d, e, f, g) for a, b, c, d, e, f, g in plan_rows(store_ids)]
        await connection.copy_records_to_table(
            "plans",
            records=[(*p[:5], p[5], p[6]) for p in plans],
            columns=["id", "store_id", "metric", "month", "target", "day_weights", "updated_at"],
        )
        for table in ("reports", "daily_values", "plans"):
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" (SELECT max(id) FROM {table}))"
            )
        # What autovacuum does to a table that has been in use for a while: statistics, and the
        # visibility map that lets PostgreSQL answer the KPI sums from the covering index alone.
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


async def _copy_postgres(connection: Any, reports: list, values: list) -> None:
    await connection.copy_records_to_table(
        "reports",
        records=reports,
        columns=[
            "id",
            "subject_key",
            "store_id",
            "form",
            "business_date",
            "revision",
            "created_at",
            "updated_at",
        ],
    )
    await connection.copy_records_to_table(
        "daily_values",
        records=[(a, b, c, d, e, float(f)) for a, b, c, d, e, f in values],
        columns=["id", "report_id", "subject_key", "business_date", "metric", "value"],
    )


async def rebuild_rollups(database: Database) -> None:
    """The bulk load bypasses the write path, so the rollups are computed afterwards, as
    `opsbot db rebuild-rollups` does."""
    started = time.perf_counter()
    async with database.session_factory() as session, session.begin():
        monthly, daily = await rollups.rebuild(session)
    async with database.session_factory() as session, session.begin():
        for table in ("monthly_rollups", "daily_rollups"):
            await session.execute(text(f"ANALYZE {table}"))
    print(
        f"rebuilt rollups ({monthly} monthly rows, {daily} daily rows) in "
        f"{time.perf_counter() - started:.1f} s"
    )


@asynccontextmanager
async def bench_database(backend: str, org: OrgConfig, keep: str | None = None) -> Any:
    keys = metric_keys(org)
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            path = keep or os.path.join(tmp, "bench.db")
            reuse = keep is not None and os.path.exists(keep)
            database = await open_database(f"sqlite+aiosqlite:///{path}")
            if not reuse:
                seeded = await seed_catalog(database, org)
                started = time.perf_counter()
                bulk_sqlite(path, seeded, org)
                print(
                    f"generated {STORES}×{DAYS}×{len(keys)} values in "
                    f"{time.perf_counter() - started:.1f} s (sqlite3 executemany)"
                )
                await rebuild_rollups(database)
            try:
                yield database
            finally:
                await database.close()
        return
    url = os.environ.get("TEST_POSTGRES_URL") or DEFAULT_POSTGRES
    schema = f"bench_{secrets.token_hex(4)}"
    admin = await open_database(url, upgrade=False)
    async with admin.engine.begin() as conn:
        await conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        database = await open_database(url, schema=schema)
        seeded = await seed_catalog(database, org)
        started = time.perf_counter()
        await bulk_postgres(url, schema, seeded, org)
        print(
            f"generated {STORES}×{DAYS}×{len(keys)} values in "
            f"{time.perf_counter() - started:.1f} s (COPY)"
        )
        await rebuild_rollups(database)
        try:
            yield database
        finally:
            await database.close()
    finally:
        async with admin.engine.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await admin.close()
