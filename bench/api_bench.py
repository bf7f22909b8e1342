"""HTTP ingest API under load: 100 stores × 31 days × 8 metrics pushed in batches of 100 items
while people ask the bot /kpi, in the bot's own process and event loop.

Prints items per second and p50 / p99 request latency (first push: every item created; the
same push again: every item unchanged), /kpi answers during the push, and the longest
event-loop stall of the bot's loop (target under 50 ms) against the same ticker on the idle loop.

    .venv/bin/python bench/api_bench.py [--backend sqlite|postgres]

The sandbox Bot API, the people and the HTTP client run in a process of their own, as Telegram
and an automation tool would; the bot and the API in this one. PostgreSQL: TEST_POSTGRES_URL or
postgresql+asyncpg://postgres@127.0.0.1:5432/test, in a schema of its own dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import faulthandler
import gc
import multiprocessing
import os
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import yaml
from kpi_bench_stall import StallMeter

from bot.api import ApiServer, build_api
from bot.app import BotOptions, BotRuntime, create_bot
from bot.charts import run as chart_run
from bot.clock import FrozenClock
from bot.org.schema import OrgConfig
from bot.org.sync import sync_org
from bot.sandbox.client import SandboxUser
from bot.sandbox.server import SANDBOX_TOKEN, SandboxServer
from bot.services import api_tokens
from storage.database import Database, open_database
from storage.models import Member

ROOT = Path(__file__).resolve().parent.parent
DEMO_ORG = ROOT / "examples" / "demo-org.yaml"
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
STORES, DAYS, BATCH = 100, 31, 100
NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 11:00 on 1 Dec in Ho Chi Minh City
LAST_DAY = date(2026, 11, 30)
PEOPLE = range(9000, 9005)


def bench_org() -> OrgConfig:
    """The demo org with 100 stores reported by Growth, whose form has 8 metrics."""
    raw = yaml.safe_load(DEMO_ORG.read_text(encoding="utf-8"))
    # The demo's campaigns (and their alert rules) name stores and brands replaced below.
    raw.pop("campaigns", None)
    raw["alert_rules"] = [r for r in raw["alert_rules"] if "campaign" not in r]
    raw["stores"] = [
        {
            "code": f"S{s:03d}",
            "name": f"Gian hàng {s}",
            "brand": raw["brands"][s % len(raw["brands"])]["code"],
            "platform": "shopee",
            "department": "growth",
        }
        for s in range(STORES)
    ]
    raw["forms"][0]["metrics"] = [*raw["forms"][0]["metrics"], "videos"]
    return OrgConfig.model_validate(raw)


def batches() -> list[list[dict[str, Any]]]:
    """Every store's 31 days, valid for the form's cross-checks; one batch per day."""
    rng = random.Random(11)
    result = []
    for offset in range(DAYS):
        day = LAST_DAY - timedelta(days=DAYS - 1 - offset)
        items = []
        for store in range(STORES):
            gmv = round(rng.uniform(3e6, 40e6))
            orders = rng.randint(20, 400)
            values = {
                "gmv": gmv,
                "nmv": round(gmv * rng.uniform(0.8, 0.95)),
                "orders": orders,
                "cancelled": rng.randint(0, orders // 20),
                "returned": rng.randint(0, orders // 20),
                "traffic": orders * rng.randint(20, 60),
                "ads_cost": round(gmv * rng.uniform(0.05, 0.2)),
                "videos": rng.randint(0, 5),
            }
            items.append({"store": f"S{store:03d}", "date": day.isoformat(), "values": values})
        result.append(items)
    return result


@asynccontextmanager
async def bench_database(backend: str) -> AsyncIterator[Database]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="opsbot-api-bench-") as folder:
            database = await open_database(f"sqlite+aiosqlite:///{folder}/bench.db")
            try:
                yield database
            finally:
                await database.close()
        return
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    url = os.environ.get("TEST_POSTGRES_URL") or DEFAULT_POSTGRES
    schema = f"bench_{secrets.token_hex(4)}"
    admin = create_async_engine(url)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        database = await open_database(url, schema=schema)
        try:
            yield database
        finally:
            await database.close()
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


async def seed(database: Database, org: OrgConfig) -> str:
    async with database.session_factory() as session, session.begin():
        await sync_org(session, org)
        for telegram_id in PEOPLE:
            session.add(
                Member(
                    telegram_id=telegram_id, full_name=f"BOD {telegram_id}", role="bod",
                    locale="vi", reachable=True, active=True, joined_at=NOW,
                )
            )  # fmt: skip
        _, token = await api_tokens.create_token(
            session, org, name="bench", scope="all", read_only=False, now=NOW
        )
    return token


# --- the other process: Telegram, the people and the automation tool --------------------------


def outside_process(control: Connection) -> None:
    asyncio.run(_outside(control))


async def _outside(control: Connection) -> None:
    loop = asyncio.get_running_loop()
    async with SandboxServer() as server:
        people = [SandboxUser(server, tid, f"BOD {tid}") for tid in PEOPLE]
        control.send(server.base_url)
        api_url, token = await loop.run_in_executor(None, control.recv)
        work = batches()
        for name in ("created", "unchanged"):
            await loop.run_in_executor(None, control.recv)  # the bot's stall meter is on
            done = asyncio.Event()
            asking = [asyncio.create_task(_ask_kpi(p, i, done)) for i, p in enumerate(people)]
            pushed = await _push(api_url, token, work)
            done.set()
            answers = await asyncio.gather(*asking)
            control.send((name, pushed, [a for person in answers for a in person]))
            for person in people:
                person.drain()
        for person in people:
            person.close()


async def _ask_kpi(person: SandboxUser, index: int, done: asyncio.Event) -> list[float]:
    samples = []
    round_ = 0
    while not done.is_set():
        started = time.perf_counter()
        await person.send(f"/kpi S{(index * 17 + round_ * 7) % STORES:03d}")
        await person.next_output(timeout=60)  # a chart, or a text while no data is in
        samples.append(time.perf_counter() - started)
        round_ += 1
    return samples


async def _push(api_url: str, token: str, work: list[list[dict[str, Any]]]) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    latencies, statuses = [], []
    async with httpx.AsyncClient(base_url=api_url, timeout=120) as client:
        started = time.perf_counter()
        for items in work:
            sent = time.perf_counter()
            answer = await client.post(
                "/api/v1/values", json={"source": "bench", "items": items}, headers=headers
            )
            latencies.append(time.perf_counter() - sent)
            answer.raise_for_status()
            statuses += [r["status"] for r in answer.json()["results"]]
        elapsed = time.perf_counter() - started
    return {"latencies": latencies, "elapsed": elapsed, "statuses": statuses}


# --- this process: the bot and the API on one event loop -----------------------------------


class StallWitness:
    """``--why``: faulthandler's watchdog (a C thread, needing no GIL) dumps every thread's stack
    when the bot's loop has not ticked for 300 ms; the dumps are kept in a file."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.file = tempfile.TemporaryFile("w+")  # noqa: SIM115 (open for the whole run)
        self._stop = asyncio.Event()

    async def _tick(self) -> None:
        while not self._stop.is_set():
            faulthandler.dump_traceback_later(0.3, file=self.file)
            await asyncio.sleep(0.005)
        faulthandler.cancel_dump_traceback_later()

    def dumps(self) -> str:
        self.file.seek(0)
        return self.file.read()

    def __enter__(self) -> StallWitness:
        if self.enabled:
            self._task = asyncio.get_running_loop().create_task(self._tick())
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()


class GcWatch:
    """The longest garbage collection of each generation while it is on (``--why``)."""

    def __init__(self) -> None:
        self.longest = [0.0, 0.0, 0.0]
        self._started = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            generation = info["generation"]
            took = time.perf_counter() - self._started
            self.longest[generation] = max(self.longest[generation], took)

    def __enter__(self) -> GcWatch:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *_exc: object) -> None:
        gc.callbacks.remove(self._callback)


def receive(control: Connection, child: multiprocessing.process.BaseProcess) -> Any:
    """The child's next message; an error if it died instead of answering."""
    while not control.poll(1.0):
        if not child.is_alive():
            raise RuntimeError("the sandbox / client process died (see its traceback above)")
    return control.recv()


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--why", action="store_true", help="print where the longest stall was")
    args = parser.parse_args()
    org = bench_org()
    loop = asyncio.get_running_loop()
    print(f"backend {args.backend}: {STORES} stores × {DAYS} days × 8 metrics, {BATCH} per request")
    async with bench_database(args.backend) as database:
        token = await seed(database, org)
        control, child_end = multiprocessing.get_context("spawn").Pipe()
        outside = multiprocessing.get_context("spawn").Process(
            target=outside_process, args=(child_end,), daemon=True
        )
        outside.start()
        base_url = await loop.run_in_executor(None, receive, control, outside)
        clock = FrozenClock(NOW)
        runtime = BotRuntime(
            bot=create_bot(SANDBOX_TOKEN, base_url),
            database=database,
            clock=clock,
            org=org,
            options=BotOptions(polling_timeout=1, run_scheduler=False),
        )
        await runtime.start()
        await chart_run.warm_up()
        api = ApiServer(build_api(database.session_factory, org, clock), "127.0.0.1", 0)
        await api.start()
        try:
            with StallMeter() as idle:
                await asyncio.sleep(2.0)
            control.send((f"http://127.0.0.1:{api.port}", token))
            passes = []
            for _ in range(2):
                with StallMeter() as busy, StallWitness(args.why) as witness, GcWatch() as gcs:
                    control.send("go")
                    name, pushed, kpi = await loop.run_in_executor(None, receive, control, outside)
                passes.append((name, pushed, kpi, busy.worst, witness))
                if args.why:
                    longest = ", ".join(f"{g * 1000:.0f}" for g in gcs.longest)
                    print(f"{name}: longest garbage collection per generation {longest} ms")
        finally:
            await api.stop()
            await runtime.stop()
            await loop.run_in_executor(None, outside.join, 30)
    for name, pushed, kpi, stall, witness in passes:
        items = len(pushed["statuses"])
        assert set(pushed["statuses"]) == {name}, set(pushed["statuses"])
        latencies = pushed["latencies"]
        answered = f"{len(kpi)} (p50 {statistics.median(kpi) * 1000:.0f} ms)" if kpi else "none"
        print(
            f"push ({name}): {items} items in {pushed['elapsed']:.1f} s = "
            f"{items / pushed['elapsed']:.0f} items/s; request p50 "
            f"{statistics.median(latencies) * 1000:.0f} ms, p99 "
            f"{percentile(latencies, 0.99) * 1000:.0f} ms; /kpi answered meanwhile: {answered}; "
            f"longest event-loop stall {stall * 1000:.1f} ms (target < 50 ms)"
        )
        if args.why:
            dumps = witness.dumps().split("Timeout (")
            print(f"  {len(dumps) - 1} stalls over 300 ms; where the bot's thread was:")
            for dump in dumps[1:4]:
                threads = dump.split("\n\n")
                bot = next((t for t in threads if "run_forever" in t), dump)
                print("\n".join(bot.splitlines()[:20]))
    print(f"idle loop, same ticker: {idle.worst * 1000:.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
