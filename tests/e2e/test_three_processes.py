"""Three `opsbot run --webhook` processes on one PostgreSQL database: one outbox sender for all
of them (the leader lease), under Telegram's limits measured at the sandbox, taken over when
the leader is killed mid-broadcast; and scheduled jobs still run once per period.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select
from support.databases import postgres_url
from support.workers import (
    NO_POSTGRES,
    Worker,
    WorkerPool,
    migrate,
    quiet_org_file,
    scratch_postgres_database,
)

from bot.delivery.leader import LEASE_NAME
from bot.delivery.payloads import message_payload
from bot.domain.outbox import Priority
from bot.sandbox.models import ChatEvent
from bot.sandbox.server import SandboxServer
from storage.database import open_database
from storage.models import JobRun, Lease, OutboxMessage
from storage.repositories import outbox

MEMBERS = 1000
FIRST_ID = 7_300_000
LEADER_LEASE = 3.0
TAKEOVER_MARGIN = 1.0  # a candidate looks again as soon as the lease ends; a loaded machine lags
OVERALL_PER_SECOND = 30


@pytest.fixture
async def database_url() -> AsyncIterator[str]:
    if postgres_url() is None:
        pytest.skip(NO_POSTGRES + ": three processes need one shared database")
    async with scratch_postgres_database() as url:
        yield url


def org_with_interval_jobs_due(path: Path) -> Path:
    """The quiet demo org (no daily job near now) with a one-hour grace window: the jobs run
    every 15 and 30 minutes are caught up by every process on start, together."""
    quiet_org_file(path)
    org = yaml.safe_load(path.read_text(encoding="utf-8"))
    org["report"]["grace_hours"] = 1
    path.write_text(yaml.safe_dump(org, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


class Inbox:
    def __init__(self, server: SandboxServer) -> None:
        self.received: Counter[int] = Counter()
        server.add_listener(self._on_event)

    def _on_event(self, event: ChatEvent) -> None:
        if event.kind == "bot_message" and event.text.startswith("Broadcast "):
            self.received[event.chat_id] += 1

    @property
    def total(self) -> int:
        return sum(self.received.values())

    async def wait_for(self, total: int, timeout: float, workers: list[Worker]) -> None:
        deadline = time.monotonic() + timeout
        while self.total < total:
            for worker in workers:
                assert worker.running, f"worker {worker.index} exited:\n{worker.log()[-3000:]}"
            assert time.monotonic() < deadline, f"only {self.total} of {total} arrived"
            await asyncio.sleep(0.05)


async def scrape(worker: Worker) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with aiohttp.ClientSession() as session, session.get(f"{worker.url}/metrics") as r:
        assert r.status == 200
        text = await r.text()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def job_runs_done(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float]) -> Counter[str]:
    done: Counter[str] = Counter()
    for (name, labels), value in samples.items():
        tags = dict(labels)
        if name == "opsbot_job_runs_total" and tags.get("result") == "done":
            done[tags["job"]] += int(value)
    return done


async def queue_broadcast(url: str) -> None:
    database = await open_database(url, upgrade=False)
    now = datetime.now(UTC)
    rows = [
        outbox.NewMessage(
            dedupe_key=f"broadcast:{i}",
            chat_id=FIRST_ID + i,
            kind="announcement",
            payload=message_payload(f"Broadcast to member {i}"),
            priority=Priority.NOTICE,
        )
        for i in range(MEMBERS)
    ]
    try:
        async with database.session_factory() as session, session.begin():
            assert await outbox.enqueue_many(session, rows, now=now) == MEMBERS
    finally:
        await database.close()


async def lease_holder(url: str) -> Lease | None:
    database = await open_database(url, upgrade=False)
    try:
        async with database.session_factory() as session:
            return await session.scalar(select(Lease).where(Lease.name == LEASE_NAME))
    finally:
        await database.close()


async def wait_for_new_holder(url: str, old: str, timeout: float = 30.0) -> Lease:
    deadline = time.monotonic() + timeout
    while True:
        lease = await lease_holder(url)
        if lease is not None and lease.holder != old:
            return lease
        assert time.monotonic() < deadline, "nobody took the lease over"
        await asyncio.sleep(0.05)


async def db_counts(url: str) -> tuple[dict[str, int], dict[str, set[str]]]:
    database = await open_database(url, upgrade=False)
    try:
        async with database.session_factory() as session:
            statuses = await session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            )
            periods: dict[str, set[str]] = defaultdict(set)
            runs = await session.execute(select(JobRun.job, JobRun.period))
            rows_per_job: Counter[str] = Counter()
            for job, period in runs.all():
                periods[job].add(period)
                rows_per_job[job] += 1
            assert all(rows_per_job[job] == len(periods[job]) for job in periods), rows_per_job
            return {status: int(count) for status, count in statuses.all()}, periods
    finally:
        await database.close()


def most_in_any_second(times: list[float]) -> int:
    times = sorted(times)
    most, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


async def test_three_processes_one_sender_under_the_limits_and_jobs_once(
    database_url: str, tmp_path: Path
) -> None:
    org_path = org_with_interval_jobs_due(tmp_path / "org.yaml")
    async with SandboxServer() as server:
        for i in range(MEMBERS):
            server.register_user(FIRST_ID + i, f"NV {i}")
        inbox = Inbox(server)
        pool = WorkerPool(
            server,
            database_url,
            tmp_path / "logs",
            OPSBOT_ORG=str(org_path),
            OPSBOT_LEADER_LEASE=str(LEADER_LEASE),
            OPSBOT_OUTBOX_LEASE="3",  # rows the killed leader had claimed come due again soon
        )
        await migrate(server, database_url)  # the deployment's one-shot migration
        async with pool:
            workers = await pool.start(3)  # each syncs the org file into the empty database
            # Every process caught the interval jobs up on start, before it answered /readyz.
            started = [await scrape(worker) for worker in workers]
            _, periods = await db_counts(database_url)

            began = time.monotonic()
            await queue_broadcast(database_url)
            await inbox.wait_for(300, 30, workers)

            # From now on Telegram hangs: the calls in flight when the leader dies deliver
            # nothing (otherwise Telegram would have a message the database does not know of).
            server.faults.add("timeout", method="sendMessage", probability=1.0, delay=30)
            await asyncio.sleep(0.5)
            lease = await lease_holder(database_url)
            assert lease is not None
            pid = int(lease.holder.split(":")[1])
            leader = next(worker for worker in workers if worker.pid == pid)
            leader.kill()
            killed_at = datetime.now(UTC)
            await leader.wait_exit(10)
            before_kill = inbox.total
            server.faults.clear()

            successor = await wait_for_new_holder(database_url, lease.holder)
            takeover = (successor.acquired_at - killed_at).total_seconds()
            survivors = [worker for worker in workers if worker is not leader]
            await inbox.wait_for(MEMBERS, 60, survivors)
            broadcast_seconds = time.monotonic() - began
            statuses, _ = await db_counts(database_url)
            ended = [await scrape(worker) for worker in survivors]

    arrivals = server.arrivals_of("sendMessage")
    peak = most_in_any_second([a.at for a in arrivals])
    print(  # the numbers of the run, shown with -s
        f"\n{MEMBERS} messages in {broadcast_seconds:.1f} s, {before_kill} before the kill, "
        f"takeover {takeover:.2f} s after it (lease {LEADER_LEASE} s), "
        f"at most {peak} calls in one second"
    )
    # Each member got exactly one message; the database agrees.
    assert set(inbox.received) == {FIRST_ID + i for i in range(MEMBERS)}
    assert set(inbox.received.values()) == {1}
    assert statuses == {"sent": MEMBERS}
    # Another process took over within the lease, not before the lease ended.
    assert successor.holder.split(":")[1] != str(pid)
    assert 0 < takeover <= LEADER_LEASE + TAKEOVER_MARGIN, takeover
    assert [s[("opsbot_sender_leader", ())] for s in ended].count(1.0) == 1
    # The combined rate at Telegram: 30 calls in any second, 1 per second per chat.
    assert peak <= OVERALL_PER_SECOND
    per_chat: dict[int | None, list[float]] = defaultdict(list)
    for arrival in arrivals:
        per_chat[arrival.chat_id].append(arrival.at)
    for times in per_chat.values():
        assert all(b - a >= 1.0 for a, b in itertools.pairwise(sorted(times)))
    # Each job ran once per period across the three processes that all tried it on start.
    done = sum((job_runs_done(s) for s in started), Counter())
    assert {"alert_escalation", "order_sla", "prune_updates"} <= set(done)
    assert all(done[job] == len(periods[job]) for job in done), (done, periods)
