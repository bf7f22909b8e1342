"""/kpi dept media over a large history: the queries, the KPI maths and the chart, apart.

Generates N requests (default 3000) of the Media department over the last 120 days with their
events (seeded random, reopened and cancelled ones included) in a fresh SQLite database, then
prints p50 / p95 of: reading the records (``department_requests``), the maths
(``service_kpi``), the whole service call, and the bare chart render.

    .venv/bin/python bench/service_kpi_bench.py [--requests 3000] [--runs 20]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.charts.run import render_sync
from bot.domain.service_kpi import service_kpi
from bot.i18n import Translator
from bot.org.loader import load_org
from bot.org.sync import sync_org
from bot.services.service_kpi import department_service_kpi, window_of
from bot.views.service_kpi import service_chart
from storage.database import open_database
from storage.models import Member, OrderEvent, OrderRequest
from storage.repositories import catalog
from storage.repositories.service_kpi import department_requests

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
FLOW = [("approve", "approved"), ("assign", "assigned"), ("start", "in_progress")]


def _events(rng: random.Random, start: datetime) -> list[tuple[datetime, str, str]]:
    at = start
    if rng.random() < 0.08:
        return [(at + timedelta(hours=rng.uniform(1, 20)), "cancel", "cancelled")]
    steps = []
    for action, status in FLOW:
        at += timedelta(hours=rng.uniform(0.5, 12))
        steps.append((at, action, status))
    at += timedelta(hours=rng.uniform(4, 90))
    steps.append((at, "deliver", "delivered"))
    if rng.random() < 0.2:
        at += timedelta(hours=rng.uniform(2, 20))
        steps.append((at, "reopen", "reopened"))
        at += timedelta(hours=rng.uniform(2, 30))
        steps.append((at, "deliver", "delivered"))
    at += timedelta(hours=rng.uniform(1, 40))
    steps.append((at, "accept", "accepted"))
    return [s for s in steps if s[0] < NOW]


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    org = load_org(ROOT / "examples" / "demo-org.yaml")
    rng = random.Random(15)
    with tempfile.TemporaryDirectory() as folder:
        database = await open_database(f"sqlite+aiosqlite:///{folder}/bench.db")
        async with database.session_factory() as session, session.begin():
            await sync_org(session, org)
            media = await catalog.get_department_by_code(session, "media")
            assert media is not None
            staff = []
            for number in range(8):
                member = Member(
                    telegram_id=70_000 + number, full_name=f"Người {number}", role="staff",
                    department_id=media.id, locale="vi", reachable=True, active=True,
                    joined_at=NOW,
                )  # fmt: skip
                session.add(member)
                staff.append(member)
            await session.flush()
            for number in range(args.requests):
                start = NOW - timedelta(minutes=rng.randrange(0, 120 * 24 * 60))
                steps = _events(rng, start)
                order = OrderRequest(
                    kind="order", type_code="video", title=f"Video {number}",
                    department_id=media.id, assignee_id=rng.choice(staff).id,
                    status=steps[-1][2] if steps else "submitted", fields={},
                    deadline=start + timedelta(hours=rng.uniform(24, 120)),
                    created_at=start, updated_at=steps[-1][0] if steps else start,
                )  # fmt: skip
                session.add(order)
                await session.flush()
                for at, action, status in steps:
                    session.add(
                        OrderEvent(order_id=order.id, action=action, to_status=status, at=at)
                    )
        window = window_of(org, NOW)
        reads, maths, whole, renders = [], [], [], []
        t = Translator("vi")
        for _ in range(args.runs):
            async with database.session_factory() as session:
                started = time.perf_counter()
                records = await department_requests(session, media.id, window.start)
                reads.append(time.perf_counter() - started)
                started = time.perf_counter()
                service_kpi(records, window, org.tz)
                maths.append(time.perf_counter() - started)
                started = time.perf_counter()
                view = await department_service_kpi(session, org, media, NOW)
                whole.append(time.perf_counter() - started)
            chart = service_chart(view.kpi, media, view.names, t, days=28, threshold=0.8)
            started = time.perf_counter()
            render_sync("service", chart)
            renders.append(time.perf_counter() - started)
        await database.close()
    print(f"{args.requests} requests, {len(records)} read for the view, {args.runs} runs (SQLite)")
    print(f"read records      {_ms(reads)}")
    print(f"service_kpi maths {_ms(maths)}")
    print(f"whole service     {_ms(whole)}")
    print(f"chart render      {_ms(renders)}")


if __name__ == "__main__":
    asyncio.run(main())
