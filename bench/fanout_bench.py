"""Fan-out of the 10:30 reminder to many members through the sandbox, at Telegram's limits.

Seeds N members of a person-form department (each misses yesterday's report), runs the real
`reminder` job (which queues one outbox row per member), then drains the outbox with the real
sender and Telegram's limits (30 messages/s overall, 1/s per chat) against the sandbox, which
answers a share of the calls with 429. Prints what it measured:

* queueing time of the job, delivery time and achieved messages/s against the 30/s ceiling;
* the busiest one-second window seen by the sandbox (must not exceed the ceiling);
* lost (members without a reminder) and duplicated (more than one) messages;
* the process's peak RSS and the sender's Python heap peak (tracemalloc).

    python bench/fanout_bench.py [--members 10000] [--share-429 0.1] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import resource
import tempfile
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select

from bot.app import create_bot
from bot.clock import SystemClock
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


def busiest_second(times: list[float]) -> int:
    ordered = sorted(times)
    return max((bisect.bisect_left(ordered, t + 1.0) - i for i, t in enumerate(ordered)), default=0)


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
        send_times: list[float] = []

        def on_event(event: ChatEvent) -> None:
            if event.kind == "bot_message":
                received[event.chat_id] += 1
                send_times.append(time.monotonic())

        server.add_listener(on_event)
        bot = create_bot(SANDBOX_TOKEN, server.base_url)
        sender = OutboxSender(bot, database.session_factory, SystemClock(), limits=RateLimits())
        tracemalloc.start()
        started = time.perf_counter()
        total_sent = 0
        while True:
            report = await sender.drain_once()
            total_sent += report.sent
            if report.handled == 0:
                due = await sender.next_due()
                if due is None:
                    break
                await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))
        elapsed = time.perf_counter() - started
        _, heap_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        await bot.session.close()
        rejected = sum(rule.hits for rule in server.faults.rules)

    async with database.session_factory() as session:
        pending = await session.scalar(
            select(func.count()).where(OutboxMessage.status != outbox.SENT)
        )
    await database.close()

    expected = {FIRST_ID + i for i in range(members)}
    lost = len(expected - set(received))
    duplicated = sum(count - 1 for count in received.values() if count > 1)
    delivered = sum(received.values())
    window = (send_times[-1] - send_times[0]) if len(send_times) > 1 else elapsed
    rate = (delivered - 1) / window if window > 0 else 0.0
    peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"delivered {delivered} messages in {elapsed:.1f} s; {rejected} calls answered 429")
    print(f"achieved {rate:.2f} messages/s = {rate / 30:.3f} of the 30/s ceiling")
    print(f"busiest one-second window at the sandbox: {busiest_second(send_times)} messages")
    print(f"lost {lost}, duplicated {duplicated}, rows not marked sent {pending}")
    if send_times:
        per_second = Counter(int(t - send_times[0]) for t in send_times)
        print("per second:", [per_second[i] for i in range(max(per_second) + 1)])
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
