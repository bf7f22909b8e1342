"""Webhook workers as in production: N ``opsbot run --webhook`` subprocesses on one database.

Each worker serves the HTTP app on its own local port, talks to the sandbox as its Bot API
server and shares the database (a PostgreSQL database of its own per test: a plain URL cannot
route a subprocess into a schema). Output goes to a log file per worker, never to a pipe that
could fill up under load and stall the worker.

    async with scratch_postgres_database() as url:
        await migrate(sandbox, url)              # compose.yaml's one-shot `migrate` service
        pool = WorkerPool(sandbox, url, tmp_path, OPSBOT_ORG=str(quiet_org_file(...)))
        workers = await pool.start(3)            # each answered /readyz with 200
        await pool.set_webhook(f"{nginx.url}/telegram/webhook")
        workers[0].kill()                        # SIGKILL
        ...
        await pool.stop()                        # SIGTERM, exit codes
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import yaml
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bot.sandbox.server import SANDBOX_TOKEN, SandboxServer
from support.databases import postgres_url
from support.nginx import free_port
from support.people import DEMO_ORG_FILE

ROOT = Path(__file__).resolve().parents[2]
NO_POSTGRES = "needs PostgreSQL: set TEST_POSTGRES_URL (CI does)"


def quiet_org_file(path: Path, now: datetime | None = None) -> Path:
    """The demo org with its jobs away from ``now``: no catch-up on start (no grace window) and
    nothing due for hours, so a worker on the real clock sends nothing on its own during a test
    (a 10:30 reminder in the middle of a burst would be counted as a reply)."""
    org = yaml.safe_load(DEMO_ORG_FILE.read_text(encoding="utf-8"))
    local = (now or datetime.now(UTC)).astimezone(ZoneInfo(org["timezone"]))
    base = 19 if local.hour < 12 else 6  # the other half of the day
    org["report"]["grace_hours"] = 0
    org["schedules"] = {
        "nudge": f"{base:02d}:00",
        "reminder": f"{base:02d}:30",
        "escalation": f"{base + 1:02d}:00",
        "daily_digest": f"{base + 1:02d}:15",
        "order_summary": f"{base + 1:02d}:30",
        "weekly_digest": f"mon {base + 2:02d}:00",
        "monthly_digest": f"1 {base + 2:02d}:15",
    }
    path.write_text(yaml.safe_dump(org, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@asynccontextmanager
async def scratch_postgres_database(server_url: str | None = None) -> AsyncIterator[str]:
    """A whole PostgreSQL database for subprocesses, dropped afterwards (even if still in use)."""
    url = server_url or postgres_url()
    if url is None:
        raise RuntimeError(NO_POSTGRES)
    name = f"opsbot_w_{secrets.token_hex(5)}"
    admin = create_async_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield url.rsplit("/", 1)[0] + f"/{name}"
        finally:
            async with admin.connect() as conn:
                await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.dispose()


def opsbot_env(sandbox: SandboxServer, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of an opsbot command against the sandbox (the worktree's code first)."""
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "BOT_TOKEN": SANDBOX_TOKEN,
        "TELEGRAM_API_URL": sandbox.base_url,
        "DATABASE_URL": database_url,
        "OPSBOT_ORG": str(DEMO_ORG_FILE),
        "LOG_LEVEL": "INFO",
        **extra,
    }


async def opsbot_command(*args: str, env: dict[str, str], timeout: float = 120) -> str:
    """Run one `opsbot ...` command to completion; its output, or AssertionError with it."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    text = out.decode(errors="replace")
    assert proc.returncode == 0, f"opsbot {' '.join(args)} exited {proc.returncode}:\n{text}"
    return text


async def migrate(sandbox: SandboxServer, database_url: str) -> str:
    """`opsbot db upgrade`, as the deployment's one-shot migration does before any worker."""
    return await opsbot_command("db", "upgrade", env=opsbot_env(sandbox, database_url))


@dataclass
class Worker:
    index: int
    port: int
    log_path: Path
    proc: asyncio.subprocess.Process
    started: float = field(default_factory=time.perf_counter)
    ready_after: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def running(self) -> bool:
        return self.proc.returncode is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def readyz(self, session: aiohttp.ClientSession) -> int | None:
        """The HTTP status of /readyz; None when nothing answers (not listening, or gone)."""
        try:
            async with session.get(
                f"{self.url}/readyz", timeout=aiohttp.ClientTimeout(total=2)
            ) as response:
                return response.status
        except (aiohttp.ClientError, TimeoutError):
            return None

    async def wait_ready(self, timeout: float = 60.0) -> float:
        """Seconds from process start until /readyz answered 200."""
        deadline = time.perf_counter() + timeout
        async with aiohttp.ClientSession() as session:
            while await self.readyz(session) != 200:
                if not self.running:
                    raise AssertionError(
                        f"worker {self.index} exited {self.proc.returncode}:\n{self.log()[-3000:]}"
                    )
                if time.perf_counter() > deadline:
                    raise AssertionError(
                        f"worker {self.index} not ready in {timeout} s:\n{self.log()[-3000:]}"
                    )
                await asyncio.sleep(0.05)
        self.ready_after = time.perf_counter() - self.started
        return self.ready_after

    def kill(self) -> None:
        if self.running:
            self.proc.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        if self.running:
            self.proc.send_signal(signal.SIGTERM)

    async def wait_exit(self, timeout: float = 60.0) -> int:
        return await asyncio.wait_for(self.proc.wait(), timeout)

    async def watch_readyz(self, interval: float = 0.02) -> list[int | None]:
        """/readyz answers (None: no answer) from now until the process has exited."""
        seen: list[int | None] = []
        async with aiohttp.ClientSession() as session:
            while self.running:
                seen.append(await self.readyz(session))
                await asyncio.sleep(interval)
        return seen


class WorkerPool:
    """Starts `opsbot run --webhook` processes on one database and stops what is left of them."""

    def __init__(
        self,
        sandbox: SandboxServer,
        database_url: str,
        log_dir: Path,
        *,
        secret: str | None = None,
        **env: str,
    ) -> None:
        self.sandbox = sandbox
        self.database_url = database_url
        self.log_dir = log_dir
        self.secret = secret or secrets.token_urlsafe(24)
        self.extra_env = env
        self.workers: list[Worker] = []

    def env(self, port: int) -> dict[str, str]:
        return opsbot_env(
            self.sandbox,
            self.database_url,
            OPSBOT_MODE="webhook",
            WEBHOOK_SECRET=self.secret,
            OPSBOT_HTTP_HOST="127.0.0.1",
            OPSBOT_HTTP_PORT=str(port),
            **self.extra_env,
        )

    async def set_webhook(self, url: str, *extra: str) -> str:
        """`opsbot webhook set --url URL`, the operator's deliberate registration."""
        env = opsbot_env(self.sandbox, self.database_url, WEBHOOK_SECRET=self.secret)
        return await opsbot_command("webhook", "set", "--url", url, *extra, env=env)

    async def spawn(self, port: int | None = None) -> Worker:
        """One more worker process (not yet ready: see ``Worker.wait_ready``)."""
        port = port or free_port()
        index = len(self.workers)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"worker{index}.log"
        with log_path.open("wb") as log:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", "--webhook",
                env=self.env(port), cwd=ROOT, stdout=log, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
        worker = Worker(index, port, log_path, proc)
        self.workers.append(worker)
        return worker

    async def start(self, count: int, timeout: float = 90.0) -> list[Worker]:
        """``count`` workers started together, each answering /readyz with 200."""
        ports = [free_port() for _ in range(count)]
        started = [await self.spawn(port) for port in ports]
        await asyncio.gather(*(worker.wait_ready(timeout) for worker in started))
        return started

    @property
    def ports(self) -> list[int]:
        return [worker.port for worker in self.workers]

    async def stop(self, timeout: float = 30.0) -> dict[int, int]:
        """SIGTERM every worker still running, SIGKILL after ``timeout``; exit codes by index."""
        for worker in self.workers:
            worker.terminate()
        codes: dict[int, int] = {}
        for worker in self.workers:
            try:
                codes[worker.index] = await worker.wait_exit(timeout)
            except TimeoutError:
                worker.kill()
                codes[worker.index] = await worker.wait_exit(10)
        return codes

    async def kill_all(self) -> None:
        """SIGKILL whatever still runs (a teardown that need not wait for graceful stops)."""
        for worker in self.workers:
            worker.kill()
        for worker in self.workers:
            await worker.wait_exit(10)

    async def __aenter__(self) -> WorkerPool:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            await self.stop()
