"""KPI performance on 500 stores × 400 days × 12 metrics (2.4 M daily values), three platforms,
20 campaigns and 300 people.

The campaigns (``kpi_bench_people``) cover 2–25 brands or 8–30 listed stores, run over dates
around the as-of date (two are still to come) with a budget and targets on four metrics; the
300 people of the person-level departments have monthly personal targets and two months of
reports, a third of those on a campaign's days tagged to it.

Generates the data with bulk inserts (sqlite3 executemany / PostgreSQL COPY) and computes the
rollups from it (as `opsbot db rebuild-rollups`), then prints: the KPI queries for a store, a
brand, a channel and all stores; /kpi <store>, /kpi <brand>, /kpi shopee, /kpi all and /kpi
<campaign> end to end through the sandbox (command sent to photo received) p50 / p95, each
against the bare matplotlib render of the same figure plus its queries (the same view's service
call) measured in the same run; chart render time against the bare script; the longest
event-loop stall of every round while 20 /kpi (stores, a channel, everything, two campaigns)
run at once.

    .venv/bin/python bench/kpi_bench.py [--backend sqlite|postgres] [--runs 30] [--scale 1.0]

PostgreSQL: TEST_POSTGRES_URL or postgresql+asyncpg://postgres@127.0.0.1:5432/test; the data
lives in a schema of its own, dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import kpi_bench_data as data
from kpi_bench_chart import bare_campaign_chart, bare_overview_chart, bare_store_chart
from kpi_bench_data import AS_OF, BOD_IDS, NOW, bench_database, bench_org
from kpi_bench_people import CAMPAIGNS, PEOPLE, campaign_code
from kpi_bench_stall import concurrent_stall

from bot.app import BotOptions, BotRuntime, create_bot
from bot.charts import run as chart_run
from bot.clock import FrozenClock
from bot.domain.kpi import comparison_window
from bot.domain.periods import month_period
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.sandbox.client import SandboxUser
from bot.sandbox.server import SANDBOX_TOKEN, SandboxServer
from bot.services import campaigns as campaign_service
from bot.services import channels
from bot.services import kpi as service
from bot.services.scope import scope_of
from bot.views import campaigns as campaign_views
from bot.views import kpi as views
from storage.database import Database
from storage.models import Member
from storage.repositories import kpi as kpi_repo


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
            "shop": channels.channel_target(scope, "shopee", "Shopee"),
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
                    session, org, target, period, AS_OF, now=NOW, with_heatmap=name != "store"
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
        view = await service.store_set_kpi(session, org, target, period, AS_OF, now=NOW)
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


async def bare_baseline(database: Database, org: OrgConfig, command: str, runs: int) -> list[float]:
    """The same view's queries (``store_set_kpi``) plus the same figure drawn by the bare
    matplotlib script, in this process: what /kpi costs without the bot around it."""
    period = month_period(AS_OF.year, AS_OF.month)
    t = Translator("vi")
    async with database.session_factory() as session:
        bod = await session.get(Member, 1)
        assert bod is not None
        scope = await scope_of(session, bod)
        text = command.split(" ", 1)[1]
        campaign = await campaign_service.by_code(session, text)
        if campaign is not None:
            return await _bare_campaign(session, org, scope, campaign, runs)
        if text == "all":
            target = service.all_target(scope, t("kpi.all"))
        elif text == "shopee":
            target = channels.channel_target(scope, "shopee", "Shopee")
        else:
            found = service.find_targets(scope, text)[0].candidate
            target = (
                service.store_target(scope, found.id)
                if found.kind == "store"
                else service.brand_target(scope, found.id)
            )
        assert target is not None
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            view = await service.store_set_kpi(
                session, org, target, period, AS_OF, now=NOW, with_heatmap=target.kind != "store"
            )
            if target.kind == "store":
                bare_store_chart(views.store_chart(view, org, t, target.name))
            else:
                bare_overview_chart(views.overview_chart(view, org, t, target.name))
            samples.append(time.perf_counter() - started)
    return samples


async def _bare_campaign(
    session: Any, org: OrgConfig, scope: Any, info: Any, runs: int
) -> list[float]:
    """The campaign view's queries (``campaign_view``) plus its figure in bare matplotlib."""
    t = Translator("vi")
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        view = await campaign_service.campaign_view(session, info, scope, AS_OF)
        bare_campaign_chart(campaign_views.kpi_view(org, view, t)[1])
        samples.append(time.perf_counter() - started)
    return samples


def shown_campaigns(count: int) -> list[str]:
    """/kpi of the campaigns that have started (the last two are still to come), in turn."""
    return [f"/kpi {campaign_code(n % (CAMPAIGNS - 2))}" for n in range(count)]


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


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
        few = max(5, runs // 3) + 1
        try:
            for name, commands in (
                ("/kpi <store>", [f"/kpi S{(n * 37) % data.STORES:03d}" for n in range(runs + 1)]),
                ("/kpi <brand>", [f"/kpi B{n % data.BRANDS:02d}" for n in range(few)]),
                ("/kpi shopee", ["/kpi shopee"] * few),
                ("/kpi all", ["/kpi all"] * few),
                ("/kpi <camp>", shown_campaigns(runs + 1)),
            ):
                samples, bare = [], []
                for command in commands:  # a different store, brand or campaign each time
                    started = time.perf_counter()
                    await user.send(command)
                    await user.next_photo(timeout=30)
                    samples.append(time.perf_counter() - started)
                    user.drain()
                    # interleaved, so that a noisy moment hits both alike
                    bare += await bare_baseline(database, org, command, 1)
                ours, base = samples[1:], bare[1:]
                print(
                    f"{name:12} end to end (command → photo): {summary(ours)}; bare queries + "
                    f"matplotlib: {summary(base)}; ratio p50 "
                    f"{statistics.median(ours) / statistics.median(base):.2f}, p95 "
                    f"{p95(ours) / p95(base):.2f}"
                )
        finally:
            user.close()
            await runtime.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--queries-only", action="store_true")
    parser.add_argument("--keep", help="SQLite only: keep the generated file here and reuse it")
    parser.add_argument("--scale", type=float, default=1.0, help="stores and days × this")
    args = parser.parse_args()
    if args.scale != 1.0:
        data.configure(args.scale)
    org = bench_org()
    print(
        f"backend {args.backend}: {data.STORES} stores, {data.BRANDS} brands, {data.DAYS} days, "
        f"12 metrics, {CAMPAIGNS} campaigns, {PEOPLE} people"
    )
    async with bench_database(args.backend, org, args.keep) as database:
        await queries(database, org, args.runs)
        if args.queries_only:
            return
        await render_ratio(database, org, max(10, args.runs // 2))
        await end_to_end(database, org, args.runs)
        await concurrent_stall(database, org)


if __name__ == "__main__":
    asyncio.run(main())
