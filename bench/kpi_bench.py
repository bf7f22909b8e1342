"""KPI performance on 500 stores × 400 days × 12 metrics (2.4 M daily values).

Generates the data with bulk inserts (sqlite3 executemany / PostgreSQL COPY), then prints:
the KPI queries for a store, a brand and all stores; /kpi end to end through the sandbox
(command sent to photo received) p50 / p95; chart render time against a bare matplotlib script
drawing the same figure; the longest event-loop stall while 20 /kpi run at once.

    .venv/bin/python bench/kpi_bench.py [--backend sqlite|postgres] [--runs 30]

PostgreSQL: TEST_POSTGRES_URL or postgresql+asyncpg://postgres@127.0.0.1:5432/test; the data
lives in a schema of its own, dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import multiprocessing
import os
import random
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import yaml

from bot.app import BotOptions, BotRuntime, create_bot
from bot.charts import run as chart_run
from bot.clock import FrozenClock
from bot.domain.kpi import comparison_window
from bot.domain.periods import month_key, month_period, months_touched
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.org.sync import sync_org
from bot.sandbox.client import SandboxUser
from bot.sandbox.server import SANDBOX_TOKEN, SandboxServer
from bot.services import kpi as service
from bot.services.scope import scope_of
from bot.views import kpi as views
from storage.database import Database, open_database
from storage.models import Member
from storage.repositories import catalog
from storage.repositories import kpi as kpi_repo

ROOT = Path(__file__).resolve().parent.parent
DEMO_ORG = ROOT / "examples" / "demo-org.yaml"
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
STORES, BRANDS, DAYS = 500, 50, 400
NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)  # 09:00 in Ho Chi Minh City
AS_OF = date(2026, 11, 20)
FIRST_DAY = AS_OF - timedelta(days=DAYS - 1)
BOD_IDS = range(9000, 9020)


# --- data --------------------------------------------------------------------------------------


def bench_org() -> OrgConfig:
    """The demo org with 50 brands and 500 stores, all reported by Growth."""
    raw = yaml.safe_load(DEMO_ORG.read_text(encoding="utf-8"))
    raw["brands"] = [{"code": f"B{b:02d}", "name": f"Thương hiệu số {b}"} for b in range(BRANDS)]
    raw["stores"] = [
        {
            "code": f"S{s:03d}",
            "name": f"Gian hàng Mỹ Phẩm {s}",
            "brand": f"B{s % BRANDS:02d}",
            "platform": "shopee",
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


async def seed_catalog(database: Database, org: OrgConfig) -> list[int]:
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
        return [s.id for s in await catalog.list_stores(session)]


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


def bulk_sqlite(path: str, store_ids: list[int], keys: list[str]) -> None:
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


async def bulk_postgres(url: str, schema: str, store_ids: list[int], keys: list[str]) -> None:
    import asyncpg

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


@asynccontextmanager
async def bench_database(backend: str, org: OrgConfig, keep: str | None = None) -> Any:
    keys = metric_keys(org)
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            path = keep or os.path.join(tmp, "bench.db")
            reuse = keep is not None and os.path.exists(keep)
            database = await open_database(f"sqlite+aiosqlite:///{path}")
            if not reuse:
                store_ids = await seed_catalog(database, org)
                started = time.perf_counter()
                bulk_sqlite(path, store_ids, keys)
                print(
                    f"generated {STORES}×{DAYS}×{len(keys)} values in "
                    f"{time.perf_counter() - started:.1f} s (sqlite3 executemany)"
                )
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
        store_ids = await seed_catalog(database, org)
        started = time.perf_counter()
        await bulk_postgres(url, schema, store_ids, keys)
        print(
            f"generated {STORES}×{DAYS}×{len(keys)} values in "
            f"{time.perf_counter() - started:.1f} s (COPY)"
        )
        try:
            yield database
        finally:
            await database.close()
    finally:
        async with admin.engine.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await admin.close()


# --- measurements ------------------------------------------------------------------------------


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"


async def timed(runs: int, action: Callable[[], Awaitable[Any]]) -> list[float]:
    await action()  # warm up caches and plans
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await action()
        samples.append(time.perf_counter() - started)
    return samples


async def queries(database: Database, org: OrgConfig, runs: int) -> None:
    period = month_period(AS_OF.year, AS_OF.month)
    async with database.session_factory() as session:
        bod = await session.get(Member, 1)
        assert bod is not None
        scope = await scope_of(session, bod)
        brand, _ = service.visible_brands(scope)[0]
        targets = {
            "store": service.store_target(scope, scope.stores[0].id),
            "brand": service.brand_target(scope, brand.id),
            "all": service.all_target(scope, "all"),
        }
        for name, target in targets.items():
            assert target is not None
            keys = [kpi_repo.store_key(s.id) for s in target.stores]
            window = comparison_window(period, AS_OF)
            assert window is not None

            async def raw(
                keys: list[str] = keys, target: Any = target, window: Any = window
            ) -> None:
                await kpi_repo.metric_totals(session, keys, period.start, AS_OF)
                await kpi_repo.metric_totals(session, keys, window.start, window.end)
                await kpi_repo.reported_days(session, keys, period.start, period.end)
                await kpi_repo.plans_for(session, [s.id for s in target.stores], ["2026-11"])
                await kpi_repo.daily_totals(session, keys, period.start, AS_OF, ["gmv"])

            async def whole(target: Any = target, name: str = name) -> None:
                await service.store_set_kpi(
                    session, org, target, period, AS_OF, with_heatmap=name != "store"
                )

            print(
                f"KPI queries {name:5} ({len(keys)} stores, 5 queries): "
                f"{summary(await timed(runs, raw))}; "
                f"with engine: {summary(await timed(max(5, runs // 3), whole))}"
            )


async def render_ratio(database: Database, org: OrgConfig, runs: int) -> None:
    period = month_period(AS_OF.year, AS_OF.month)
    async with database.session_factory() as session:
        bod = await session.get(Member, 1)
        assert bod is not None
        scope = await scope_of(session, bod)
        target = service.store_target(scope, scope.stores[0].id)
        assert target is not None
        view = await service.store_set_kpi(session, org, target, period, AS_OF)
    data = views.store_chart(view, org, Translator("vi"), f"{target.code} · {target.name}")
    chart_run.render_sync("store", data)
    bare_store_chart(data)
    ours, bare = [], []
    for _ in range(runs):
        started = time.perf_counter()
        chart_run.render_sync("store", data)
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        bare_store_chart(data)
        bare.append(time.perf_counter() - started)
    await chart_run.warm_up()
    worker, bare_again = [], []
    for _ in range(runs):  # interleaved, so that a noisy moment hits both alike
        started = time.perf_counter()
        await chart_run.render("store", data)
        worker.append(time.perf_counter() - started)
        started = time.perf_counter()
        bare_store_chart(data)
        bare_again.append(time.perf_counter() - started)
    bare_ms = statistics.median(bare)
    worker_ratio = statistics.median(worker) / statistics.median(bare_again)
    print(
        f"store chart render: ours {statistics.median(ours) * 1000:.0f} ms in process "
        f"(ratio {statistics.median(ours) / bare_ms:.2f}), {statistics.median(worker) * 1000:.0f}"
        f" ms through the chart worker (ratio {worker_ratio:.2f}); "
        f"bare matplotlib {bare_ms * 1000:.0f} ms"
    )


def bare_store_chart(data: Any) -> bytes:
    """The same figure drawn with plain matplotlib calls, no project helpers."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import PolyCollection
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch
    from matplotlib.ticker import FuncFormatter

    from bot.domain.number_format import format_compact

    figure = Figure(figsize=(8.0, 10.0), dpi=110, facecolor="white")
    FigureCanvasAgg(figure)
    figure.text(0.04, 0.985, data.title, fontsize=17, fontweight="bold", va="top")
    figure.text(0.04, 0.948, data.subtitle, fontsize=12, color="#555555", va="top")
    width, height = (0.92 - 0.03) / 3, (0.915 - 0.70 - 0.015) / 2
    for index, tile in enumerate(data.tiles):
        row, column = divmod(index, 3)
        x, y = 0.04 + column * (width + 0.015), 0.915 - (row + 1) * height - row * 0.015
        figure.add_artist(
            FancyBboxPatch(
                (x, y),
                width,
                height,
                transform=figure.transFigure,
                boxstyle="round,pad=0,rounding_size=0.01",
                facecolor="#f5f5f5",
                edgecolor="#9e9e9e",
                linewidth=2,
            )
        )
        figure.text(x + 0.012, y + height * 0.8, tile.label, fontsize=11, va="center")
        figure.text(
            x + 0.012, y + height * 0.5, tile.value, fontsize=17, fontweight="bold", va="center"
        )
        figure.text(x + 0.012, y + height * 0.2, tile.detail, fontsize=10.5, va="center")
    days = [d.strftime("%d/%m") for d in data.days]
    ticks = list(range(0, len(days), 4))
    formatter = FuncFormatter(lambda v, _p: format_compact(float(v)))
    top = figure.add_axes((0.12, 0.35, 0.84, 0.30))
    top.xaxis.set_label_coords(0.5, 0.0)
    top.yaxis.set_label_coords(0.0, 0.5)
    series = [(data.cumulative_plan, "--"), (data.forecast, ":"), (data.cumulative_actual, "-")]
    for values, style in series:
        points = [(i, v) for i, v in enumerate(values) if v is not None]
        if points:
            top.plot(
                [p[0] for p in points],
                [p[1] for p in points],
                linestyle=style,
                linewidth=2.5,
                label=style,
            )
    top.set_title("cumulative", loc="left", fontsize=13, y=1.0)
    top.yaxis.set_major_formatter(formatter)
    top.set_xticks(ticks, [days[i] for i in ticks])
    top.set_ylim(bottom=0)
    top.grid(axis="y")
    top.legend(loc="upper left", frameon=False)
    bottom = figure.add_axes((0.12, 0.06, 0.84, 0.21))
    bottom.xaxis.set_label_coords(0.5, 0.0)
    bottom.yaxis.set_label_coords(0.0, 0.5)
    plan = [(i, v) for i, v in enumerate(data.daily_plan) if v is not None]
    bottom.step(
        [p[0] for p in plan], [p[1] for p in plan], where="mid", linestyle="--", label="plan"
    )
    bars = [(i, v) for i, v in enumerate(data.daily_actual) if v is not None]
    boxes = [[(i - 0.35, 0), (i - 0.35, v), (i + 0.35, v), (i + 0.35, 0)] for i, v in bars]
    bottom.add_collection(PolyCollection(boxes, edgecolors="none", label="actual"))
    bottom.set_title("daily", loc="left", fontsize=13, y=1.0)
    bottom.yaxis.set_major_formatter(formatter)
    bottom.set_xticks(ticks, [days[i] for i in ticks])
    bottom.set_ylim(bottom=0)
    bottom.grid(axis="y")
    bottom.legend(loc="upper left", frameon=False, ncols=3)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, pil_kwargs={"compress_level": 3})
    return buffer.getvalue()


async def end_to_end(database: Database, org: OrgConfig, runs: int) -> None:
    clock = FrozenClock(NOW)
    async with SandboxServer() as server:
        runtime = BotRuntime(
            bot=create_bot(SANDBOX_TOKEN, server.base_url),
            database=database,
            clock=clock,
            org=org,
            options=BotOptions(polling_timeout=1),
        )
        await runtime.start()
        await chart_run.warm_up()
        user = SandboxUser(server, BOD_IDS[0], f"BOD {BOD_IDS[0]}")
        try:
            for name, commands in (
                ("/kpi <store>", [f"/kpi S{(n * 37) % STORES:03d}" for n in range(runs + 1)]),
                ("/kpi <brand>", [f"/kpi B{n % BRANDS:02d}" for n in range(max(5, runs // 3) + 1)]),
                ("/kpi all", ["/kpi all"] * (max(5, runs // 3) + 1)),
            ):
                samples = []
                for command in commands:  # a different store or brand each time
                    started = time.perf_counter()
                    await user.send(command)
                    await user.next_photo(timeout=30)
                    samples.append(time.perf_counter() - started)
                    user.drain()
                print(f"{name:12} end to end (command → photo): {summary(samples[1:])}")
        finally:
            user.close()
            await runtime.stop()


class StallMeter:
    """A ticker that asks to wake every 5 ms and records how much later the loop woke it."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            started = loop.time()
            await asyncio.sleep(0.005)
            self.worst = max(self.worst, loop.time() - started - 0.005)

    def __enter__(self) -> StallMeter:
        self._task = asyncio.get_running_loop().create_task(self._tick())
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()


async def photo_after(user: SandboxUser, command: str, started: float) -> float:
    await user.send(command)
    await user.next_photo(timeout=60)
    return time.perf_counter() - started


# A process that does nothing but the same 5 ms ticks: how late the OS itself wakes a process
# while the bot, its chart worker and the database share the machine's cores.
OUTSIDE_TICKER = """
import signal, sys, time
worst = 0.0
def report(*_):
    print(f"{worst * 1000:.1f}", flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, report)
print("ready", flush=True)
while True:
    started = time.perf_counter()
    time.sleep(0.005)
    worst = max(worst, time.perf_counter() - started - 0.005)
"""


async def outside_ticker_start() -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", OUTSIDE_TICKER, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    await process.stdout.readline()
    return process


async def outside_ticker_worst(process: asyncio.subprocess.Process) -> float:
    process.terminate()
    out, _ = await process.communicate()
    return float(out.decode().strip())


def sandbox_process(control: Connection) -> None:
    """The sandbox and the 20 people in a process of their own, as Telegram and its users are:
    the bot's event loop then carries only the bot's own work."""
    asyncio.run(_sandbox_rounds(control))


async def _sandbox_rounds(control: Connection) -> None:
    loop = asyncio.get_running_loop()
    async with SandboxServer() as server:
        users = [SandboxUser(server, tid, f"BOD {tid}") for tid in BOD_IDS]
        control.send(server.base_url)
        while (commands := await loop.run_in_executor(None, control.recv)) is not None:
            started = time.perf_counter()
            done = await asyncio.gather(
                *(
                    photo_after(user, command, started)
                    for user, command in zip(users, commands, strict=True)
                )
            )
            for user in users:
                user.drain()
            control.send(max(done))
        for user in users:
            user.close()


async def concurrent_stall(database: Database, org: OrgConfig, rounds: int = 5) -> None:
    """20 /kpi at once (20 people, 20 stores), several rounds; the longest event-loop stall of
    each round, against the same ticker on an idle loop (the machine's own noise) and in a
    separate idle process during the rounds (the machine's cores being busy)."""
    loop = asyncio.get_running_loop()
    control, child_end = multiprocessing.get_context("spawn").Pipe()
    sandbox = multiprocessing.get_context("spawn").Process(
        target=sandbox_process, args=(child_end,), daemon=True
    )
    sandbox.start()
    base_url = await loop.run_in_executor(None, control.recv)
    runtime = BotRuntime(
        bot=create_bot(SANDBOX_TOKEN, base_url),
        database=database,
        clock=FrozenClock(NOW),
        org=org,
        options=BotOptions(polling_timeout=1),
    )
    await runtime.start()
    await chart_run.warm_up()
    try:
        with StallMeter() as idle:
            await asyncio.sleep(3.0)
        outside = await outside_ticker_start()
        worst, elapsed = [], []
        for round_ in range(rounds):
            control.send(
                [f"/kpi S{(round_ * 100 + i * 7) % STORES:03d}" for i in range(len(BOD_IDS))]
            )
            with StallMeter() as busy:
                elapsed.append(await loop.run_in_executor(None, control.recv))
            worst.append(busy.worst)
        outside_worst = await outside_ticker_worst(outside)
    finally:
        control.send(None)
        await runtime.stop()
        await loop.run_in_executor(None, sandbox.join, 30)
    print(
        f"20 concurrent /kpi × {rounds} rounds (sandbox and people in another process): all "
        f"photos in {statistics.median(elapsed) * 1000:.0f} ms (median round); longest "
        f"event-loop stall per round {', '.join(f'{w * 1000:.0f}' for w in worst)} ms "
        f"(median {statistics.median(worst) * 1000:.0f} ms); idle loop, same ticker: "
        f"{idle.worst * 1000:.1f} ms; an idle process's ticker during the rounds: "
        f"{outside_worst:.1f} ms"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--queries-only", action="store_true")
    parser.add_argument("--keep", help="SQLite only: keep the generated file here and reuse it")
    args = parser.parse_args()
    org = bench_org()
    print(f"backend {args.backend}: {STORES} stores, {BRANDS} brands, {DAYS} days, 12 metrics")
    async with bench_database(args.backend, org, args.keep) as database:
        await queries(database, org, args.runs)
        if args.queries_only:
            return
        await render_ratio(database, org, max(10, args.runs // 2))
        await end_to_end(database, org, args.runs)
        await concurrent_stall(database, org)


if __name__ == "__main__":
    asyncio.run(main())
