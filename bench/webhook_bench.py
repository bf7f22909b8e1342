"""Webhook throughput and latency behind nginx: the bare aiogram echo bot, then opsbot with 1, 2
and 3 workers on PostgreSQL.

The load generator is the sandbox itself, delivering updates by webhook to nginx (the production
``deploy/nginx.conf``, rendered by tests/support/nginx.py) with at most ``--max-connections`` in
flight, as Telegram does. Every member sends as fast as the bot answers: opsbot members send
`/report`, the whole report in one message, and press Confirm (three updates); echo members send
three texts. Measured:

* updates per second over the whole run (first update created -> last answer seen);
* p50 / p99 from the delivery (the sandbox starts the POST) to the bot's answer (the sandbox
  receives the sendMessage);
* CPU per update of the bot processes (psutil, the chart worker included), and the CPU the
  sandbox + members (this process), PostgreSQL and nginx took meanwhile;
* idle RSS per worker in webhook mode (ready, then 3 s without traffic) and start-to-ready time.

    TEST_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test \\
        python bench/webhook_bench.py [--members 1000] [--concurrent-members 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import psutil
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.databases import postgres_url  # noqa: E402
from support.nginx import Nginx  # noqa: E402
from support.people import sync_demo_org  # noqa: E402
from support.workers import (  # noqa: E402
    Worker,
    WorkerPool,
    migrate,
    quiet_org_file,
    scratch_postgres_database,
)

from bot.sandbox.models import ChatEvent  # noqa: E402
from bot.sandbox.server import SANDBOX_TOKEN, SandboxServer  # noqa: E402
from storage.database import open_database  # noqa: E402
from storage.models import Member  # noqa: E402
from storage.repositories import catalog  # noqa: E402

FIRST_ID = 8_000_000
REPORT = "phiên live 2\ngiờ live 3\ngmv 5tr"
CONFIRM = "✅ Xác nhận"
IDLE_SECONDS = 3.0
ANSWER_TIMEOUT = 120.0


@dataclass
class Result:
    name: str
    processes: int
    members: int
    updates: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    bot_cpu: float = 0.0
    sandbox_cpu: float = 0.0
    postgres_cpu: float = 0.0
    nginx_cpu: float = 0.0
    idle_rss_mb: list[float] = field(default_factory=list)
    ready_s: list[float] = field(default_factory=list)
    wrong: int = 0
    wrong_answers: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


class Answers:
    """The bot's messages per chat, with the sandbox's clock at their arrival."""

    def __init__(self, sandbox: SandboxServer) -> None:
        self.queues: dict[int, asyncio.Queue[tuple[float, ChatEvent]]] = {}
        self.loop = asyncio.get_running_loop()
        sandbox.add_listener(self._on_event)

    def _on_event(self, event: ChatEvent) -> None:
        if event.kind == "bot_message":
            queue = self.queues.setdefault(event.chat_id, asyncio.Queue())
            queue.put_nowait((self.loop.time(), event))

    async def next(self, chat_id: int) -> tuple[float, ChatEvent]:
        queue = self.queues.setdefault(chat_id, asyncio.Queue())
        return await asyncio.wait_for(queue.get(), ANSWER_TIMEOUT)


Step = Callable[[SandboxServer, int, ChatEvent | None], None]


def last_update_id(sandbox: SandboxServer) -> int:
    return int(sandbox.store.updates[-1]["update_id"])


def says(value: str) -> Step:
    def act(sandbox: SandboxServer, user: int, _previous: ChatEvent | None) -> None:
        sandbox.send_user_message(user, value)

    return act


def confirm(sandbox: SandboxServer, user: int, previous: ChatEvent | None) -> None:
    assert previous is not None and previous.message_id is not None
    sandbox.press_button(user, user, previous.message_id, CONFIRM)


# Each step and a piece of the answer it must get.
OPSBOT_STEPS: list[tuple[Step, str]] = [
    (says("/report"), "(1/3)"),
    (says(REPORT), "Tóm tắt"),
    (confirm, "Đã lưu"),
]
ECHO_STEPS: list[tuple[Step, str]] = [(says(word), word) for word in ("một", "hai", "ba")]


async def member(
    sandbox: SandboxServer,
    answers: Answers,
    user: int,
    steps: list[tuple[Step, str]],
    sent: list[tuple[int, float]],
    result: Result,
) -> None:
    previous: ChatEvent | None = None
    for act, expected in steps:
        act(sandbox, user, previous)
        update_id = last_update_id(sandbox)
        answered, previous = await answers.next(user)
        sent.append((update_id, answered))
        if expected not in previous.text:  # the member cannot go on
            result.wrong += 1
            result.wrong_answers.append(previous.text[:120])
            return


def cpu_seconds(pids: list[int], with_children: bool = True) -> float:
    total = 0.0
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            procs = [proc, *(proc.children(recursive=True) if with_children else [])]
            for one in procs:
                times = one.cpu_times()
                total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


def postgres_cpu() -> dict[int, float]:
    found = {}
    for proc in psutil.process_iter(["name", "cpu_times"]):
        if (proc.info["name"] or "").startswith("postgres") and proc.info["cpu_times"]:
            times = proc.info["cpu_times"]
            found[proc.pid] = times.user + times.system
    return found


def grew(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(value - before.get(pid, 0.0) for pid, value in after.items())


async def set_webhook(sandbox: SandboxServer, url: str, secret: str, connections: int) -> None:
    params = {"url": url, "secret_token": secret, "max_connections": connections}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{sandbox.base_url}/bot{SANDBOX_TOKEN}/setWebhook", json=params) as response,
    ):
        assert (await response.json())["ok"], await response.text()


async def seed(url: str, members: int) -> None:
    database = await open_database(url, upgrade=False)
    try:
        async with database.session_factory() as session, session.begin():
            await sync_demo_org(session)
            department = await catalog.get_department_by_code(session, "livestream")
            assert department is not None
            joined = datetime(2026, 1, 1, tzinfo=UTC)
            await session.execute(
                insert(Member),
                [
                    {"telegram_id": FIRST_ID + i, "full_name": f"Live {i}", "role": "staff",
                     "department_id": department.id, "locale": "vi", "reachable": True,
                     "active": True, "joined_at": joined}
                    for i in range(members)
                ],
            )  # fmt: skip
    finally:
        await database.close()


async def start_echo(pool: WorkerPool) -> Worker:
    """The echo bot as the pool's one process (same environment, same readiness wait)."""
    from support.nginx import free_port

    port = free_port()
    pool.log_dir.mkdir(parents=True, exist_ok=True)
    log_path = pool.log_dir / "echo.log"
    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "bench" / "echo_bot.py"), "--port", str(port),
            env=pool.env(port), cwd=ROOT, stdout=log, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    worker = Worker(0, port, log_path, proc)
    pool.workers.append(worker)
    await worker.wait_ready(60)
    return worker


async def run(
    name: str, processes: int, members: int, args: argparse.Namespace, workdir: Path
) -> Result:
    result = Result(name, processes, members)
    echo = name == "echo"
    sandbox = SandboxServer()
    await sandbox.start()
    async with scratch_postgres_database() as url:
        await migrate(sandbox, url)
        await seed(url, members)
        for i in range(members):
            sandbox.register_user(FIRST_ID + i, f"Live {i}")
        org = quiet_org_file(workdir / "org.yaml")
        pool = WorkerPool(
            sandbox, url, workdir / f"{name}-{processes}-{members}", OPSBOT_ORG=str(org),
            LOG_LEVEL="WARNING",
        )  # fmt: skip
        nginx = Nginx([], workdir / f"nginx-{name}-{processes}-{members}", worker_processes=1)
        try:
            workers = [await start_echo(pool)] if echo else await pool.start(processes)
            result.ready_s = [w.ready_after or 0.0 for w in workers]
            await asyncio.sleep(IDLE_SECONDS)
            result.idle_rss_mb = [psutil.Process(w.pid).memory_info().rss / 2**20 for w in workers]
            nginx.upstream_ports = pool.ports
            await nginx.start()
            await set_webhook(
                sandbox, f"{nginx.url}/telegram/webhook", pool.secret, args.max_connections
            )
            answers = Answers(sandbox)
            steps = ECHO_STEPS if echo else OPSBOT_STEPS
            sent: list[tuple[int, float]] = []
            pids = [w.pid for w in workers]
            nginx_pids = [nginx.pid] if nginx.pid else []
            bot0, nginx0, pg0 = cpu_seconds(pids), cpu_seconds(nginx_pids), postgres_cpu()
            self0 = time.process_time()
            started = asyncio.get_running_loop().time()
            await asyncio.gather(
                *(
                    member(sandbox, answers, FIRST_ID + i, steps, sent, result)
                    for i in range(members)
                )
            )
            result.seconds = max(t for _, t in sent) - started
            result.bot_cpu = cpu_seconds(pids) - bot0
            result.nginx_cpu = cpu_seconds(nginx_pids) - nginx0
            result.postgres_cpu = grew(pg0, postgres_cpu())
            result.sandbox_cpu = time.process_time() - self0
            result.updates = len(sent)
            first_post: dict[int, float] = {}
            for delivery in sandbox.webhook_deliveries:
                first_post.setdefault(delivery.update_id, delivery.started)
            result.latencies = [t - first_post[u] for u, t in sent if u in first_post]
        finally:
            await pool.kill_all()
            await nginx.stop()
            await sandbox.stop()
    return result


def table(results: list[Result]) -> str:
    head = (
        f"{'run':<10} {'procs':>5} {'members':>7} {'updates':>7} {'secs':>6} {'upd/s':>7} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'CPU ms/upd':>10} {'sandbox s':>9} {'pg s':>6} "
        f"{'nginx s':>7} {'idle RSS MB':>12} {'ready s':>8} {'wrong':>5}"
    )
    lines = [head, "-" * len(head)]
    for r in results:
        cpu = r.bot_cpu / r.updates * 1000 if r.updates else 0.0
        rss = "/".join(f"{m:.0f}" for m in r.idle_rss_mb)
        ready = "/".join(f"{s:.1f}" for s in r.ready_s)
        lines.append(
            f"{r.name:<10} {r.processes:>5} {r.members:>7} {r.updates:>7} {r.seconds:>6.1f} "
            f"{r.rate:>7.1f} {r.pct(0.50):>7.0f} {r.pct(0.99):>7.0f} {cpu:>10.2f} "
            f"{r.sandbox_cpu:>9.1f} {r.postgres_cpu:>6.1f} {r.nginx_cpu:>7.1f} {rss:>12} "
            f"{ready:>8} {r.wrong:>5}"
        )
    return "\n".join(lines)


def ratios(results: list[Result], concurrent: Result) -> list[str]:
    def find(name: str, processes: int) -> Result | None:
        return next((r for r in results if (r.name, r.processes) == (name, processes)), None)

    out = []
    echo, one, two = find("echo", 1), find("opsbot", 1), find("opsbot", 2)
    if echo and one:
        out.append(f"opsbot x1 / echo, updates/s: {one.rate / echo.rate:.2f} (target >= 0.5)")
    if one and two:
        out.append(f"opsbot x2 / x1, updates/s: {two.rate / one.rate:.2f} (target >= 1.6)")
    out.append(
        f"p99 with {concurrent.members} concurrent members on 2 workers: "
        f"{concurrent.pct(0.99):.0f} ms (target < 250)"
    )
    return out


async def main(args: argparse.Namespace) -> None:
    if postgres_url() is None:
        raise SystemExit("set TEST_POSTGRES_URL, e.g. postgresql+asyncpg://postgres@127.0.0.1/test")
    load = os.getloadavg()[0]
    plan = [("echo", 1), *(("opsbot", n) for n in args.workers)]
    results = []
    with tempfile.TemporaryDirectory(prefix="webhook-bench-") as tmp:
        workdir = args.logs or Path(tmp)  # worker and nginx logs
        workdir.mkdir(parents=True, exist_ok=True)
        for name, processes in plan:
            print(f"{name} x{processes}, {args.members} members...", flush=True)
            results.append(await run(name, processes, args.members, args, workdir))
        print(f"opsbot x2, {args.concurrent_members} members...", flush=True)
        concurrent = await run("opsbot", 2, args.concurrent_members, args, workdir)
    print(
        f"\n{os.cpu_count()} CPUs, load average before {load:.1f}; at most "
        f"{args.max_connections} webhook requests in flight; CPU columns in seconds for the run"
    )
    print(table([*results, concurrent]))
    for line in ratios(results, concurrent):
        print(line)
    for result in [*results, concurrent]:
        for text in sorted(set(result.wrong_answers))[:3]:
            print(f"unexpected answer ({result.name} x{result.processes}): {text!r}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--concurrent-members", type=int, default=200)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--max-connections", type=int, default=40)
    parser.add_argument("--logs", type=Path, help="keep worker and nginx logs in this directory")
    asyncio.run(main(parser.parse_args()))
