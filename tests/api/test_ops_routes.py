"""/healthz, /readyz and /metrics of a bot process: the real runtime (dispatcher, outbox sender)
against the sandbox, its HTTP app over ASGI, on every backend. The metric values must move
after a real update, a real send and a real job run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from support.bot_harness import BotUnderTest
from support.databases import DatabaseSpec, make_database

from bot.api import build_api
from bot.api.readiness import Readiness
from bot.app import BotOptions
from bot.charts import run as charts
from bot.clock import FrozenClock
from bot.delivery.payloads import message_payload
from bot.domain.outbox import Priority
from bot.metrics import Metrics
from bot.sandbox.client import SandboxUser
from bot.sandbox.server import SandboxServer
from jobs.runner import run_job
from jobs.table import default_handlers
from storage.database import open_database
from storage.migrate import head_revision
from storage.repositories import outbox

METRIC_NAMES = {
    "opsbot_updates",
    "opsbot_update_handler_seconds",
    "opsbot_outbox_depth",
    "opsbot_sends",
    "opsbot_job_runs",
    "opsbot_chart_render_seconds",
    "opsbot_sender_leader",
}
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


class Ops:
    def __init__(self, client: httpx.AsyncClient, bot: BotUnderTest, readiness: Readiness) -> None:
        self.client, self.bot, self.readiness = client, bot, readiness

    async def metrics(self) -> tuple[set[str], Samples]:
        response = await self.client.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        families = list(text_string_to_metric_families(response.text))
        samples = {
            (s.name, frozenset(s.labels.items())): s.value for f in families for s in f.samples
        }
        return {f.name for f in families}, samples

    async def value(self, name: str, **labels: str) -> float:
        _, samples = await self.metrics()
        return samples.get((name, frozenset(labels.items())), 0.0)

    async def wait_value(self, want: float, name: str, **labels: str) -> None:
        deadline = time.monotonic() + 10
        while (got := await self.value(name, **labels)) != want:
            assert time.monotonic() < deadline, f"{name}{labels} = {got}, want {want}"
            await asyncio.sleep(0.02)

    async def queue(self, key: str, chat_id: int, text: str, **extra: object) -> None:
        async with self.bot.db.session_factory() as session, session.begin():
            await outbox.enqueue(
                session, dedupe_key=key, chat_id=chat_id, kind="test",
                payload=message_payload(text), now=self.bot.clock.now(), **extra,  # type: ignore[arg-type]
            )  # fmt: skip


@pytest.fixture
async def ops(database_spec: DatabaseSpec, clock: FrozenClock) -> AsyncIterator[Ops]:
    async with SandboxServer() as sandbox:
        options = BotOptions(polling_timeout=1, run_scheduler=False, warm_charts=False)
        bot = BotUnderTest(sandbox, database_spec, clock, options)
        await bot.start()
        assert bot.runtime is not None
        readiness = Readiness(bot.db.session_factory, bot.runtime.metrics)
        app = build_api(bot.db.session_factory, bot.org, clock, readiness=readiness)
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://ops") as client:
                yield Ops(client, bot, readiness)
        finally:
            await bot.stop()


async def test_health_and_readiness(ops: Ops) -> None:
    assert (await ops.client.get("/healthz")).json() == {"status": "ok"}
    ready = await ops.client.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})

    ops.readiness.begin_shutdown()

    draining = await ops.client.get("/readyz")
    assert draining.status_code == 503
    assert draining.json() == {"status": "unavailable", "reason": "shutting down"}
    assert (await ops.client.get("/healthz")).status_code == 200  # alive while it drains


async def test_metrics_move_after_an_update_a_send_and_a_job(ops: Ops) -> None:
    names, _ = await ops.metrics()
    assert names >= METRIC_NAMES
    await ops.wait_value(1, "opsbot_sender_leader")

    # An update through the real dispatcher.
    user = SandboxUser(ops.bot.sandbox, 4242, "Lan")
    await user.send("/help")
    await user.next_message()
    await ops.wait_value(1, "opsbot_updates_total", type="message", result="ok")
    assert await ops.value("opsbot_update_handler_seconds_count", type="message") == 1

    # The outbox depth, read from the database when scraped.
    later = ops.bot.clock.now() + timedelta(hours=1)
    await ops.queue("later", 4242, "later", priority=Priority.DIGEST, not_before=later)
    assert await ops.value("opsbot_outbox_depth", priority="digest") == 1
    assert await ops.value("opsbot_outbox_depth", priority="alert") == 0

    # Sends by result: one accepted, one refused by a member who blocked the bot.
    await ops.queue("now", 4242, "hello", priority=Priority.ALERT)
    assert (await user.next_message()).text == "hello"
    await ops.wait_value(1, "opsbot_sends_total", result="ok")
    blocked = SandboxUser(ops.bot.sandbox, 4343, "Minh")
    blocked.block_bot()
    await ops.queue("blocked", 4343, "hello")
    await ops.wait_value(1, "opsbot_sends_total", result="403")
    assert await ops.value("opsbot_sends_total", result="429") == 0

    # Job runs by job and result.
    runtime = ops.bot.runtime
    assert runtime is not None
    for _ in range(2):
        await run_job(
            ops.bot.db.session_factory, ops.bot.org, "order_sla", ops.bot.clock.now(),
            default_handlers(), metrics=runtime.metrics,
        )  # fmt: skip
    assert await ops.value("opsbot_job_runs_total", job="order_sla", result="done") == 1
    assert await ops.value("opsbot_job_runs_total", job="order_sla", result="already_ran") == 1


async def test_not_ready_before_the_schema_is_at_head(backend: str, tmp_path: Path) -> None:
    async with make_database(backend, tmp_path, name="bare") as spec:
        database = await spec.open(upgrade=False)
        try:
            readiness = Readiness(database.session_factory)
            assert await readiness.check() == (False, f"schema at nothing, code expects {_head()}")
        finally:
            await database.close()


async def test_not_ready_when_the_database_does_not_answer(tmp_path: Path) -> None:
    garbage = tmp_path / "bot.db"
    garbage.write_bytes(b"not a database, " * 512)  # SQLite opens it, then fails every query
    database = await open_database(f"sqlite+aiosqlite:///{garbage}", upgrade=False)
    try:
        ready, reason = await Readiness(database.session_factory).check()
    finally:
        await database.close()
    assert not ready and reason.startswith("database unreachable")


def _head() -> str | None:
    return head_revision()


async def test_a_redelivered_update_counts_as_a_duplicate(
    database_spec: DatabaseSpec, clock: FrozenClock
) -> None:
    async with SandboxServer() as sandbox:
        options = BotOptions(
            polling_timeout=1, run_scheduler=False, deliver_outbox=False, warm_charts=False
        )
        bot = BotUnderTest(
            sandbox, database_spec, clock, options, "webhook", register_webhook=False
        )
        await bot.start()
        try:
            assert bot.runtime is not None
            user = SandboxUser(sandbox, 4242, "Lan")
            update = {
                "update_id": 777,
                "message": {
                    "message_id": 1,
                    "date": int(clock.now().timestamp()),
                    "chat": {"id": 4242, "type": "private", "first_name": "Lan"},
                    "from": {"id": 4242, "is_bot": False, "first_name": "Lan"},
                    "text": "/help",
                },
            }
            for _ in range(2):  # Telegram delivers it again: the worker died before answering
                await bot.runtime.feed_webhook_update(update)
            await user.next_message()
            updates = bot.runtime.metrics.updates
            assert updates.labels("message", "ok")._value.get() == 1
            assert updates.labels("message", "duplicate")._value.get() == 1
        finally:
            await bot.stop()


async def test_chart_render_time_is_observed(monkeypatch: pytest.MonkeyPatch) -> None:
    metrics = Metrics()
    with ThreadPoolExecutor(1) as pool:  # the drawing itself is the chart tests' business
        monkeypatch.setattr(charts, "_executor", lambda: pool)
        monkeypatch.setattr(charts, "render_sync", lambda kind, data: b"\x89PNG")
        remove = charts.observe_renders(metrics.chart_rendered)
        try:
            assert await charts.render("store", object()) == b"\x89PNG"
        finally:
            remove()
        await charts.render("store", object())  # no longer observed

    assert metrics.chart_seconds.labels("store")._sum.get() > 0
    (family,) = metrics.chart_seconds.collect()
    samples = {s.name: s.value for s in family.samples}
    assert samples["opsbot_chart_render_seconds_count"] == 1
