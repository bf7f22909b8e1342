"""Delivery survives a killed process and shares the work between two processes.

These run the real `opsbot` commands in subprocesses against the sandbox, as in production:
`opsbot jobs run reminder` queues the 10:30 reminders, `opsbot run` sends them.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from support.databases import postgres_url
from support.people import DEMO_ORG_FILE, sync_demo_org

from bot.sandbox.models import ChatEvent
from bot.sandbox.server import SANDBOX_TOKEN, SandboxServer
from storage.database import open_database
from storage.models import JobRun, Member, OutboxMessage
from storage.repositories import catalog

ROOT = Path(__file__).resolve().parents[2]
FIRST_ID = 5_000_000
JOINED = datetime(2026, 11, 1, tzinfo=UTC)
REMINDER_AT = "2026-11-21T10:30:00+07:00"
REMINDED_DAY = "20/11/2026"  # as the reminder text shows the day it asks about


async def seed_staff(url: str, count: int) -> None:
    """The demo org and ``count`` livestream staff, none of whom reported for 2026-11-20."""
    database = await open_database(url)
    try:
        async with database.session_factory() as session, session.begin():
            await sync_demo_org(session)
            department = await catalog.get_department_by_code(session, "livestream")
            assert department is not None
            await session.execute(
                insert(Member),
                [
                    {"telegram_id": FIRST_ID + i, "full_name": f"NV {i}", "role": "staff",
                     "department_id": department.id, "locale": "vi", "reachable": True,
                     "active": True, "joined_at": JOINED}
                    for i in range(count)
                ],
            )  # fmt: skip
    finally:
        await database.close()


async def count_rows(url: str, model: type[OutboxMessage] | type[JobRun], **where: str) -> int:
    database = await open_database(url, upgrade=False)
    try:
        async with database.session_factory() as session:
            query = select(func.count()).select_from(model)
            for column, value in where.items():
                query = query.where(getattr(model, column) == value)
            return int(await session.scalar(query) or 0)
    finally:
        await database.close()


async def count_sent_reminders(url: str) -> int:
    """Outbox rows sent that remind of ``REMINDED_DAY`` (catch-up runs queue others)."""
    database = await open_database(url, upgrade=False)
    try:
        async with database.session_factory() as session:
            payloads = await session.scalars(
                select(OutboxMessage.payload).where(OutboxMessage.status == "sent")
            )
            return sum(REMINDED_DAY in json.dumps(payload) for payload in payloads)
    finally:
        await database.close()


def opsbot_env(server: SandboxServer, url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "BOT_TOKEN": SANDBOX_TOKEN,
        "TELEGRAM_API_URL": server.base_url,
        "DATABASE_URL": url,
        "OPSBOT_ORG": str(DEMO_ORG_FILE),
        "LOG_LEVEL": "INFO",
        **extra,
    }


async def opsbot(*args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def queue_reminders(env: dict[str, str]) -> str:
    job = await opsbot("jobs", "run", "reminder", "--at", REMINDER_AT, env=env)
    out, err = await asyncio.wait_for(job.communicate(), 120)
    assert job.returncode == 0, err.decode()
    return out.decode()


class Inbox:
    """Counts the reminders about ``REMINDED_DAY`` each chat received from the bot.

    `opsbot run` also catches up the org's own jobs missed in the last hours of the real day
    (a reminder for the real yesterday when run after 10:30): those are counted apart, and
    every message, theirs included, must arrive at most once.
    """

    def __init__(self, server: SandboxServer) -> None:
        self.received: Counter[int] = Counter()
        self.messages: Counter[tuple[int, str]] = Counter()
        server.add_listener(self._on_event)

    def _on_event(self, event: ChatEvent) -> None:
        if event.kind != "bot_message":
            return
        self.messages[(event.chat_id, event.text)] += 1
        if REMINDED_DAY in event.text:
            self.received[event.chat_id] += 1

    @property
    def total(self) -> int:
        return sum(self.received.values())

    def sent_twice(self) -> list[tuple[int, str]]:
        return [message for message, count in self.messages.items() if count > 1]

    async def wait_for(
        self, total: int, timeout: float, procs: list[asyncio.subprocess.Process]
    ) -> None:
        for _ in range(int(timeout * 20)):
            if self.total >= total:
                return
            for proc in procs:
                if proc.returncode is not None:
                    _, err = await proc.communicate()
                    raise AssertionError(f"opsbot exited early: {err.decode()[-2000:]}")
            await asyncio.sleep(0.05)
        raise AssertionError(f"only {self.total} of {total} messages arrived")


async def stop(proc: asyncio.subprocess.Process) -> str:
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    return err.decode()


async def test_killed_mid_broadcast_every_member_gets_exactly_one_reminder(
    tmp_path: Path,
) -> None:
    members = 1000
    url = f"sqlite+aiosqlite:///{tmp_path}/crash.db"
    await seed_staff(url, members)
    async with SandboxServer() as server:
        for i in range(members):
            server.register_user(FIRST_ID + i, f"NV {i}")
        inbox = Inbox(server)
        env = opsbot_env(server, url, OPSBOT_SEND_RATE="150", OPSBOT_OUTBOX_LEASE="3")
        assert "reminder: done" in await queue_reminders(env)
        assert await count_rows(url, OutboxMessage) == members

        first = await opsbot("run", env=env)
        await inbox.wait_for(300, 60, [first])
        # From now on Telegram hangs: calls in flight at the kill deliver nothing.
        server.faults.add("timeout", method="sendMessage", probability=1.0, delay=30)
        await asyncio.sleep(0.5)
        first.kill()
        await first.wait()
        delivered_before_kill = inbox.total
        assert 300 <= delivered_before_kill < members

        server.faults.clear()
        second = await opsbot("run", env=env)
        await inbox.wait_for(members, 60, [second])
        await asyncio.sleep(1.0)  # anything sent twice would show up now
        logs = await stop(second)

    assert second.returncode == 0, logs[-2000:]
    assert set(inbox.received) == {FIRST_ID + i for i in range(members)}
    assert set(inbox.received.values()) == {1}
    assert inbox.sent_twice() == []
    assert await count_sent_reminders(url) == members


@pytest.fixture
async def own_postgres_database() -> AsyncIterator[str]:
    """A whole PostgreSQL database (not a schema) so that other processes can open it by URL."""
    server_url = postgres_url()
    if server_url is None:
        pytest.skip("needs PostgreSQL: set TEST_POSTGRES_URL (CI does)")
    name = f"opsbot_t_{secrets.token_hex(5)}"
    admin = create_async_engine(server_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.dispose()


async def test_two_processes_on_postgres_run_each_job_once_and_send_each_row_once(
    own_postgres_database: str,
) -> None:
    url, members = own_postgres_database, 400
    await seed_staff(url, members)
    async with SandboxServer() as server:
        for i in range(members):
            server.register_user(FIRST_ID + i, f"NV {i}")
        inbox = Inbox(server)
        env = opsbot_env(server, url, OPSBOT_SEND_RATE="200")

        outputs = await asyncio.gather(queue_reminders(env), queue_reminders(env))

        assert sorted("already ran" in out for out in outputs) == [False, True], outputs
        assert await count_rows(url, JobRun, job="reminder") == 1
        assert await count_rows(url, OutboxMessage) == members

        bots = [await opsbot("run", env=env), await opsbot("run", env=env)]
        await inbox.wait_for(members, 90, bots)
        await asyncio.sleep(1.0)
        logs = [await stop(bot) for bot in bots]

    assert [bot.returncode for bot in bots] == [0, 0], [log[-2000:] for log in logs]
    assert set(inbox.received) == {FIRST_ID + i for i in range(members)}
    assert set(inbox.received.values()) == {1}
    assert inbox.sent_twice() == []
    assert await count_sent_reminders(url) == members
