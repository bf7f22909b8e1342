"""Event-loop stalls while 20 people ask /kpi at once: the sandbox and the people run in a
process of their own, the bot in this one; a ticker measures how late the bot's loop wakes."""

from __future__ import annotations

import asyncio
import multiprocessing
import statistics
import sys
import time
from multiprocessing.connection import Connection

import kpi_bench_data as data
from kpi_bench_data import BOD_IDS, NOW
from kpi_bench_people import CAMPAIGNS, campaign_code

from bot.app import BotOptions, BotRuntime, create_bot
from bot.charts import run as chart_run
from bot.clock import FrozenClock
from bot.org.schema import OrgConfig
from bot.sandbox.client import SandboxUser
from bot.sandbox.server import SANDBOX_TOKEN, SandboxServer
from storage.database import Database


class StallMeter:
    """A ticker that asks to wake every 5 ms and records how much later the loop woke it."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            started = loop.time()
            await asyncio.sleep(0.005)
            self.worst = max(self.worst, loop.time() - started - 0.005)

    def __enter__(self) -> StallMeter:
        self._task = asyncio.get_running_loop().create_task(self._tick())
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()


async def photo_after(user: SandboxUser, command: str, started: float) -> float:
    await user.send(command)
    await user.next_photo(timeout=60)
    return time.perf_counter() - started


# A process that does nothing but the same 5 ms ticks: how late the OS itself wakes a process
# while the bot, its chart worker and the database share the machine's cores.
OUTSIDE_TICKER = """
import signal, sys, time
worst = 0.0
def report(*_):
    print(f"{worst * 1000:.1f}", flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, report)
print("ready", flush=True)
while True:
    started = time.perf_counter()
    time.sleep(0.005)
    worst = max(worst, time.perf_counter() - started - 0.005)
"""


async def outside_ticker_start() -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", OUTSIDE_TICKER, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    await process.stdout.readline()
    return process


async def outside_ticker_worst(process: asyncio.subprocess.Process) -> float:
    process.terminate()
    out, _ = await process.communicate()
    return float(out.decode().strip())


def sandbox_process(control: Connection) -> None:
    """The sandbox and the 20 people in a process of their own, as Telegram and its users are:
    the bot's event loop then carries only the bot's own work."""
    asyncio.run(_sandbox_rounds(control))


async def _sandbox_rounds(control: Connection) -> None:
    loop = asyncio.get_running_loop()
    async with SandboxServer() as server:
        users = [SandboxUser(server, tid, f"BOD {tid}") for tid in BOD_IDS]
        control.send(server.base_url)
        while (commands := await loop.run_in_executor(None, control.recv)) is not None:
            started = time.perf_counter()
            done = await asyncio.gather(
                *(
                    photo_after(user, command, started)
                    for user, command in zip(users, commands, strict=True)
                )
            )
            for user in users:
                user.drain()
            control.send(max(done))
        for user in users:
            user.close()


def _round_commands(round_: int) -> list[str]:
    """Mostly stores, with a channel, everything and two campaigns in every round."""
    commands = [f"/kpi S{(round_ * 100 + i * 7) % data.STORES:03d}" for i in range(len(BOD_IDS))]
    commands[0], commands[1] = "/kpi all", "/kpi shopee"
    for slot in (2, 3):
        commands[slot] = f"/kpi {campaign_code((2 * round_ + slot) % (CAMPAIGNS - 2))}"
    return commands


async def concurrent_stall(database: Database, org: OrgConfig, rounds: int = 5) -> None:
    """20 /kpi at once (20 people: 16 stores, a channel, everything, two campaigns), several
    rounds; the longest event-loop stall of each round, against the same ticker on an idle loop
    (the machine's own noise) and in a separate idle process during the rounds (the machine's
    cores being busy)."""
    loop = asyncio.get_running_loop()
    control, child_end = multiprocessing.get_context("spawn").Pipe()
    sandbox = multiprocessing.get_context("spawn").Process(
        target=sandbox_process, args=(child_end,), daemon=True
    )
    sandbox.start()
    base_url = await loop.run_in_executor(None, control.recv)
    runtime = BotRuntime(
        bot=create_bot(SANDBOX_TOKEN, base_url),
        database=database,
        clock=FrozenClock(NOW),
        org=org,
        options=BotOptions(polling_timeout=1),
    )
    await runtime.start()
    await chart_run.warm_up()
    try:
        with StallMeter() as idle:
            await asyncio.sleep(3.0)
        outside = await outside_ticker_start()
        # A first round on a cold process (database connections opened, statements prepared
        # on each), shown apart: what a worker feels once after a start, not in steady use.
        control.send(_round_commands(rounds))
        with StallMeter() as cold:
            await loop.run_in_executor(None, control.recv)
        worst, elapsed = [], []
        for round_ in range(rounds):
            control.send(_round_commands(round_))
            with StallMeter() as busy:
                elapsed.append(await loop.run_in_executor(None, control.recv))
            worst.append(busy.worst)
        outside_worst = await outside_ticker_worst(outside)
    finally:
        control.send(None)
        await runtime.stop()
        await loop.run_in_executor(None, sandbox.join, 30)
    print(
        f"20 concurrent /kpi × {rounds} rounds (sandbox and people in another process): all "
        f"photos in {statistics.median(elapsed) * 1000:.0f} ms (median round); longest "
        f"event-loop stall per round {', '.join(f'{w * 1000:.0f}' for w in worst)} ms "
        f"(median {statistics.median(worst) * 1000:.0f} ms); idle loop, same ticker: "
        f"{idle.worst * 1000:.1f} ms; an idle process's ticker during the rounds: "
        f"{outside_worst:.1f} ms; a first round on the cold process before them: "
        f"{cold.worst * 1000:.0f} ms"
    )
