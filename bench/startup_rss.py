"""Start-up time and idle memory of `opsbot run`, measured against the local sandbox.

Runs the real console script in a subprocess (fresh SQLite file, demo org), times how long it
takes until the bot's first long-poll arrives at the sandbox, then samples its RSS after it has
been idle for a few seconds. Prints one line per run and the median.

    python bench/startup_rss.py [--runs 5] [--idle 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

from bot.sandbox.server import SANDBOX_TOKEN, SandboxServer

ROOT = Path(__file__).resolve().parent.parent
OPSBOT = Path(sys.executable).with_name("opsbot")


async def first_poll(server: SandboxServer, proc: asyncio.subprocess.Process) -> None:
    while not any(call[0].lower() == "getupdates" for call in server.calls):
        if proc.returncode is not None:
            raise RuntimeError(f"opsbot run exited early with code {proc.returncode}")
        await asyncio.sleep(0.01)


async def one_run(idle_seconds: float) -> tuple[float, float]:
    server = SandboxServer()
    await server.start()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "BOT_TOKEN": SANDBOX_TOKEN,
            "TELEGRAM_API_URL": server.base_url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bench.db",
            "OPSBOT_ORG": str(ROOT / "examples" / "demo-org.yaml"),
            "LOG_LEVEL": "WARNING",
        }
        started = time.perf_counter()
        proc = await asyncio.create_subprocess_exec(str(OPSBOT), "run", env=env)
        try:
            await asyncio.wait_for(first_poll(server, proc), timeout=60)
            startup = time.perf_counter() - started
            await asyncio.sleep(idle_seconds)
            rss_mb = psutil.Process(proc.pid).memory_info().rss / 2**20
        finally:
            proc.terminate()
            await proc.wait()
    await server.stop()
    return startup, rss_mb


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle", type=float, default=5.0)
    args = parser.parse_args()
    startups, rss = [], []
    for i in range(args.runs):
        startup, rss_mb = await one_run(args.idle)
        startups.append(startup)
        rss.append(rss_mb)
        print(f"run {i + 1}: start-up {startup:.2f} s, idle RSS {rss_mb:.0f} MiB")
    print(
        f"median over {args.runs} runs: start-up {statistics.median(startups):.2f} s, "
        f"idle RSS {statistics.median(rss):.0f} MiB"
    )


if __name__ == "__main__":
    asyncio.run(main())
