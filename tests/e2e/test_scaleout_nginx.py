"""Webhook workers behind the production nginx configuration, on PostgreSQL.

The sandbox delivers every update to nginx (``deploy/nginx.conf`` rendered by
``support.nginx``), which spreads them over `opsbot run --webhook` processes sharing one
database. Members report their day in one message and press Confirm, all at once; one worker is
killed (SIGKILL) or stopped (SIGTERM) in the middle. Every report must be stored once, every
reply seen, every button press applied once; no reply is seen twice, except the one call a
killed worker may have had answered in its last moment (``repeats_of_the_kill``).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from support.databases import postgres_url
from support.nginx import MISSING, Nginx, find_nginx
from support.people import sync_demo_org
from support.workers import (
    NO_POSTGRES,
    Worker,
    WorkerPool,
    migrate,
    quiet_org_file,
    scratch_postgres_database,
)

from bot.sandbox.client import BotOutput, SandboxUser
from bot.sandbox.models import ChatEvent
from bot.sandbox.server import SandboxServer
from storage.database import open_database
from storage.models import DailyValue, Member, ProcessedUpdate, Report, ValueRevision
from storage.repositories import catalog

FIRST_ID = 7_100_000
JOINED = datetime(2026, 1, 1, tzinfo=UTC)
REPORT = "phiên live 2\ngiờ live 3\ngmv 5tr"
METRICS = 3  # live_sessions, live_hours, gmv
REPLIES = 3  # the first question, the summary, the receipt
CONFIRM = "✅ Xác nhận"
STEP_TIMEOUT = 30.0


@pytest.fixture
async def database_url() -> AsyncIterator[str]:
    if postgres_url() is None:
        pytest.skip(NO_POSTGRES)
    if find_nginx() is None:
        pytest.skip(MISSING)
    async with scratch_postgres_database() as url:
        yield url


async def seed_livestream_staff(url: str, count: int) -> None:
    """The demo org and ``count`` livestream staff: one report each, per person."""
    database = await open_database(url, upgrade=False)
    try:
        async with database.session_factory() as session, session.begin():
            await sync_demo_org(session)
            department = await catalog.get_department_by_code(session, "livestream")
            assert department is not None
            await session.execute(
                insert(Member),
                [
                    {"telegram_id": FIRST_ID + i, "full_name": f"Live {i}", "role": "staff",
                     "department_id": department.id, "locale": "vi", "reachable": True,
                     "active": True, "joined_at": JOINED}
                    for i in range(count)
                ],
            )  # fmt: skip
    finally:
        await database.close()


@dataclass
class Stored:
    reports: int
    revisions_above_one: int
    values: int
    value_revisions: int
    processed_updates: int


async def stored(url: str) -> Stored:
    database = await open_database(url, upgrade=False)
    try:
        async with database.session_factory() as session:

            async def count(query: object) -> int:
                return int(await session.scalar(query) or 0)  # type: ignore[call-overload]

            return Stored(
                reports=await count(select(func.count()).select_from(Report)),
                revisions_above_one=await count(
                    select(func.count()).select_from(Report).where(Report.revision > 1)
                ),
                values=await count(select(func.count()).select_from(DailyValue)),
                value_revisions=await count(select(func.count()).select_from(ValueRevision)),
                processed_updates=await count(select(func.count()).select_from(ProcessedUpdate)),
            )
    finally:
        await database.close()


class Replies:
    """Every message the bot sent, per chat, in order, as the sandbox saw it."""

    def __init__(self, sandbox: SandboxServer) -> None:
        self.by_chat: dict[int, list[str]] = {}
        sandbox.add_listener(self._on_event)

    def _on_event(self, event: ChatEvent) -> None:
        if event.kind == "bot_message":
            self.by_chat.setdefault(event.chat_id, []).append(event.text)

    @property
    def total(self) -> int:
        return sum(len(texts) for texts in self.by_chat.values())

    async def wait_for(self, total: int, diagnose: Callable[[], str]) -> None:
        for _ in range(int(STEP_TIMEOUT * 50)):
            if self.total >= total:
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"only {self.total} of {total} replies arrived\n{diagnose()}")


async def next_new_message(user: SandboxUser, seen: list[str]) -> BotOutput:
    """The bot's next message that is not one it already sent: a reply sent twice is counted
    at the end (``assert_each_member_reported_once``), not taken for the next answer."""
    while True:
        message = await user.next_message(STEP_TIMEOUT)
        if message.text not in seen:
            seen.append(message.text)
            return message


async def report_and_confirm(user: SandboxUser) -> bool:
    """One member's morning: /report, the whole report in one message, Confirm. False when
    the receipt never came."""
    seen: list[str] = []
    await user.send("/report")
    question = await next_new_message(user, seen)
    assert "(1/3)" in question.text, question.text
    await user.send(REPORT)
    summary = await next_new_message(user, seen)
    assert "Tóm tắt" in summary.text and CONFIRM in summary.button_texts, summary.text
    await user.press(CONFIRM, message=summary)
    try:
        receipt = await next_new_message(user, seen)
    except AssertionError:
        return False
    assert "Đã lưu" in receipt.text, receipt.text
    return True


@dataclass
class Deployment:
    sandbox: SandboxServer
    nginx: Nginx
    pool: WorkerPool
    workers: list[Worker]
    users: list[SandboxUser]
    replies: Replies

    def diagnose(self) -> str:
        """What went wrong where: nginx's failed attempts and the workers' warnings."""
        failed = [line for line in self.nginx.access_lines() if "ustatus=200 " not in line]
        parts = [f"nginx, {len(failed)} request(s) not answered 200 at once:", *failed[:5]]
        for worker in self.workers:
            warnings = [line for line in worker.log().splitlines() if " WARNING " in line]
            parts += [f"worker {worker.index} (port {worker.port}):", *warnings[:5]]
        return "\n".join(parts)

    async def finish(self, burst: asyncio.Future[list[bool]], timeout: float = 120) -> list[bool]:
        try:
            return await asyncio.wait_for(burst, timeout)
        except (AssertionError, TimeoutError) as exc:
            raise AssertionError(f"{exc!r}\n{self.diagnose()}") from None

    def tried(self, worker: Worker) -> list[str]:
        """Access-log lines of requests nginx sent to ``worker`` and then to another one."""
        address = f"upstream=127.0.0.1:{worker.port}, "
        return [line for line in self.nginx.access_lines() if address in line]


@pytest.fixture
async def deploy(database_url: str, tmp_path: Path) -> AsyncIterator[object]:
    """A factory: ``await deploy(workers=3, members=60)`` -> a running Deployment."""
    stack: list[Deployment] = []

    async def make(*, workers: int, members: int) -> Deployment:
        sandbox = SandboxServer(webhook_retry_base=0.05, webhook_retry_cap=1.0)
        await sandbox.start()
        await migrate(sandbox, database_url)  # compose.yaml's one-shot migration
        await seed_livestream_staff(database_url, members)
        users = [SandboxUser(sandbox, FIRST_ID + i, f"Live {i}") for i in range(members)]
        org = quiet_org_file(tmp_path / "org.yaml")
        pool = WorkerPool(
            sandbox, database_url, tmp_path / "workers", OPSBOT_ORG=str(org), LOG_LEVEL="WARNING"
        )
        nginx = Nginx([], tmp_path / "nginx")
        deployment = Deployment(sandbox, nginx, pool, [], users, Replies(sandbox))
        stack.append(deployment)
        deployment.workers = await pool.start(workers)
        nginx.upstream_ports = pool.ports
        await nginx.start()
        await pool.set_webhook(f"{nginx.url}/telegram/webhook", "--max-connections", "40")
        return deployment

    yield make
    for deployment in stack:
        await deployment.pool.kill_all()
        await deployment.nginx.stop()
        for user in deployment.users:
            user.close()
        await deployment.sandbox.stop()


@asynccontextmanager
async def bursting(app: Deployment) -> AsyncIterator[asyncio.Future[list[bool]]]:
    """Every member reports at once; whatever is left is cancelled if the test fails first."""
    burst = asyncio.gather(*(report_and_confirm(user) for user in app.users))
    try:
        yield burst
    finally:
        if not burst.done():
            burst.cancel()
        with contextlib.suppress(BaseException):
            await burst


async def assert_each_member_reported_once(
    app: Deployment,
    url: str,
    members: int,
    repeats: dict[int, str] | None = None,
) -> None:
    """The database holds each report exactly once; every reply arrived, none twice (but those
    in ``repeats``, chat -> text)."""
    await app.sandbox.webhook_idle(STEP_TIMEOUT)
    state = await stored(url)
    assert state.processed_updates == members * 3  # /report, the report, the Confirm press
    assert state.reports == members and state.revisions_above_one == 0
    assert state.values == state.value_revisions == state.reports * METRICS
    allowed = repeats or {}
    for user in app.users:
        texts = app.replies.by_chat.get(user.user_id, [])
        twice = [text[:60] for text, n in Counter(texts).items() if n > 1]
        assert twice in ([], [allowed.get(user.user_id, "")[:60]]), (user.user_id, texts)
        assert max(Counter(texts).values()) <= 2, (user.user_id, texts)
        assert len(set(texts)) == REPLIES, (user.user_id, texts)


def repeats_of_the_kill(app: Deployment, before: dict[int, list[str]]) -> dict[int, str]:
    """Replies a killed worker may have made twice. Telegram has no idempotency key: a call
    answered in the last moment before the kill, whose journal row had not committed yet, is
    made again by the redelivery (bot/delivery/call_journal.py). Only a member's last reply
    before the kill can be one."""
    repeats = {}
    for chat, texts in app.replies.by_chat.items():
        earlier = before.get(chat, [])
        if earlier and texts.count(earlier[-1]) == 2 and earlier.count(earlier[-1]) == 1:
            repeats[chat] = earlier[-1]
    return repeats


async def test_sigkill_of_a_worker_mid_burst_loses_nothing_and_applies_once(
    deploy, database_url: str
) -> None:
    members = 60
    app: Deployment = await deploy(workers=3, members=members)
    victim = app.workers[0]
    async with bursting(app) as burst:
        await app.replies.wait_for(members * REPLIES // 3, app.diagnose)
        # Frozen first, so that requests pile up at it, then killed with all of them half done.
        victim.proc.send_signal(signal.SIGSTOP)
        before = {chat: list(texts) for chat, texts in app.replies.by_chat.items()}
        await asyncio.sleep(0.5)
        victim.kill()
        await victim.wait_exit(10)
        receipts = await app.finish(burst)

    in_flight = app.tried(victim)
    assert in_flight, "no request was in flight at the killed worker"
    repeats = repeats_of_the_kill(app, before)
    assert len(repeats) <= len(in_flight), (repeats, len(in_flight))
    # A confirmation the killed worker had not committed is applied by another one, its
    # receipt sent then; a press that came before its summary's update was applied waited.
    assert all(receipts), [u.user_id for u, got in zip(app.users, receipts, strict=True) if not got]
    await assert_each_member_reported_once(app, database_url, members, repeats)
    others = {f"127.0.0.1:{w.port}" for w in app.workers[1:]}
    assert all(set(re.findall(r"127\.0\.0\.1:\d+", line)) & others for line in app.tried(victim))


async def test_sigterm_drains_a_worker_mid_burst_and_the_others_take_the_rest(
    deploy, database_url: str
) -> None:
    members = 40
    app: Deployment = await deploy(workers=2, members=members)
    leaving, staying = app.workers
    async with bursting(app) as burst:
        await app.replies.wait_for(members * REPLIES // 3, app.diagnose)
        watch = asyncio.create_task(leaving.watch_readyz(0.005))
        await asyncio.sleep(0.05)  # the watch has seen it ready
        terminated_at = len(app.nginx.access_lines())
        leaving.terminate()
        assert await leaving.wait_exit(30) == 0, leaving.log()[-3000:]
        readyz = await watch
        await app.finish(burst)

    await assert_each_member_reported_once(app, database_url, members)
    assert readyz[0] == 200 and 503 in readyz, readyz
    after = app.nginx.access_lines()[terminated_at:]
    passed_on = [line for line in after if f"127.0.0.1:{leaving.port}, " in line]
    assert passed_on, "no delivery reached the leaving worker while it drained"
    for line in passed_on:  # refused by the leaving worker, answered by the one that stayed
        last = rf"upstream=\S+, 127\.0\.0\.1:{staying.port} ustatus=503, 200 "
        assert re.search(last, line), line
