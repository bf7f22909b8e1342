"""Fan-out of the 10:30 reminder to many members through the sandbox, at Telegram's limits.

Seeds N members of a person-form department (each misses yesterday's report), runs the real
`reminder` job (which queues one outbox row per member), then drains the outbox with the real
sender and Telegram's limits (30 calls/s overall, 1/s per chat) against the sandbox, which
answers a share of the calls with 429. Telegram counts refused calls too, so everything below
is measured by the sandbox on arrival, over every call:

* queueing time of the job, delivery time;
* calls per second against the 30/s ceiling (what the limits bound), and accepted messages
  per second against the ceiling and against what the refused share leaves of it;
* the busiest one-second window of calls (must not exceed 30) and the seconds without a call
  while rows were due (must be none), with the longest gap between two calls;
* lost (members without a reminder) and duplicated (more than one) messages;
* the process's peak RSS and the sender's Python heap peak (tracemalloc).

    python bench/fanout_bench.py [--members 10000] [--share-429 0.1] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import resource
import tempfile
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from bot.app import create_bot
from bot.delivery import OutboxSender, RateLimits
from bot.org.loader import load_org
from bot.org.sync import sync_org
from bot.sandbox.models import ChatEvent
from bot.sandbox.server import SANDBOX_TOKEN, SandboxServer
from jobs.runner import run_job
from jobs.table import default_handlers
from storage.database import open_database
from storage.models import Member, OutboxMessage
from storage.repositories import catalog, outbox

ROOT = Path(__file__).resolve().parent.parent
FIRST_ID = 10_000_000
REMINDER_AT = datetime(2026, 11, 21, 3, 30, tzinfo=UTC)  # 10:30 in Ho Chi Minh City


class RunningClock:
    """Real time passing from the instant the job ran, so rows are as fresh as in production."""

    def __init__(self, start: datetime) -> None:
        self._start = start
        self._began = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._began)


def busiest_second(times: list[float]) -> int:
    """The most calls within any one second (a sliding window)."""
    ordered = sorted(times)
    return max((bisect.bisect_left(ordered, t + 1.0) - i for i, t in enumerate(ordered)), default=0)


def empty_seconds(times: list[float]) -> int:
    """Whole seconds, counted from the first call to the last, in which no call arrived."""
    if not times:
        return 0
    start = min(times)
    busy = {int(t - start) for t in times}
    return sum(1 for second in range(int(max(times) - start) + 1) if second not in busy)


def longest_gap(times: list[float]) -> float:
    ordered = sorted(times)
    return max((b - a for a, b in itertools.pairwise(ordered)), default=0.0)


async def seed(database_url: str, members: int) -> None:
    database = await open_database(database_url)
    org = load_org(ROOT / "examples" / "demo-org.yaml")
    async with database.session_factory() as session, session.begin():
        await sync_org(session, org)
        department = await catalog.get_department_by_code(session, "livestream")
        assert department is not None
        rows = [
            {
                "telegram_id": FIRST_ID + i,
                "full_name": f"Nhân viên {i}",
                "role": "staff",
                "department_id": department.id,
                "locale": "vi",
                "reachable": True,
                "active": True,
                "joined_at": REMINDER_AT,
            }
            for i in range(members)
        ]
        await session.execute(insert(Member), rows)
    await database.close()


async def bench(database_url: str, members: int, share_429: float) -> None:
    await seed(database_url, members)
    database = await open_database(database_url)
    org = load_org(ROOT / "examples" / "demo-org.yaml")

    started = time.perf_counter()
    outcome = await run_job(
        database.session_factory, org, "reminder", REMINDER_AT, default_handlers()
    )
    queue_seconds = time.perf_counter() - started
    async with database.session_factory() as session:
        queued = await session.scalar(select(func.count()).select_from(OutboxMessage))
    print(f"job: {outcome.text}")
    print(f"queued {queued} reminders in {queue_seconds:.2f} s")

    async with SandboxServer(seed=7) as server:
        for i in range(members):
            server.register_user(FIRST_ID + i, f"Nhân viên {i}")
        server.faults.add("429", method="sendMessage", probability=share_429, retry_after=1)
        received: Counter[int] = Counter()

        def on_event(event: ChatEvent) -> None:
            if event.kind == "bot_message":
                received[event.chat_id] += 1

        server.add_listener(on_event)
        bot = create_bot(SANDBOX_TOKEN, server.base_url)
        clock = RunningClock(REMINDER_AT)
        sender = OutboxSender(bot, database.session_factory, clock, limits=RateLimits())
        tracemalloc.start()
        started = time.perf_counter()
        while True:
            report = await sender.drain_once()
            if report.handled == 0:
                due = await sender.next_due()
                if due is None:
                    break
                await asyncio.sleep(max(0.0, (due - clock.now()).total_seconds()))
        elapsed = time.perf_counter() - started
        _, heap_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        await bot.session.close()
        arrivals = server.arrivals_of("sendMessage")

    async with database.session_factory() as session:
        pending = await session.scalar(
            select(func.count()).where(OutboxMessage.status != outbox.SENT)
        )
    await database.close()

    expected = {FIRST_ID + i for i in range(members)}
    lost = len(expected - set(received))
    duplicated = sum(count - 1 for count in received.values() if count > 1)
    delivered = sum(received.values())
    calls = [a.at for a in arrivals]
    accepted = [a.at for a in arrivals if a.status == 200]
    refused = sum(1 for a in arrivals if a.status == 429)
    window = (max(calls) - min(calls)) if len(calls) > 1 else elapsed
    call_rate = (len(calls) - 1) / window if window > 0 else 0.0
    rate = (len(accepted) - 1) / window if window > 0 else 0.0
    attainable = 30 * (1 - refused / len(calls)) if calls else 30.0
    peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"delivered {delivered} messages in {elapsed:.1f} s; "
        f"{len(calls)} calls, {refused} of them answered 429"
    )
    print(f"calls: {call_rate:.2f}/s = {call_rate / 30:.3f} of the 30/s ceiling")
    print(
        f"delivered: {rate:.2f} messages/s = {rate / 30:.3f} of the ceiling, "
        f"{rate / attainable:.3f} of the {attainable:.1f}/s the refused share leaves"
    )
    print(f"busiest second at the sandbox: {busiest_second(calls)} calls (ceiling 30)")
    print(
        f"seconds without a call while rows were due: {empty_seconds(calls)} "
        f"(longest gap {longest_gap(calls):.2f} s)"
    )
    print(f"lost {lost}, duplicated {duplicated}, rows not marked sent {pending}")
    if calls:
        per_second = Counter(int(t - calls[0]) for t in calls)
        print("calls per second:", [per_second[i] for i in range(max(per_second) + 1)])
    print(f"peak RSS {peak_rss_mib:.0f} MiB; sender heap peak {heap_peak / 2**20:.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--share-429", type=float, default=0.1)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/fanout.db"
        asyncio.run(bench(url, args.members, args.share_429))


if __name__ == "__main__":
    main()
