"""Rendering off the event loop, in one chart worker process.

matplotlib's drawing is mostly Python holding the GIL: on a thread it would take the GIL from
the event loop for tens of milliseconds at a time (measured: up to ~70 ms stalls with renders on
a thread). A separate process draws on the other core and leaves the loop alone; only the small
input dataclass and the PNG bytes cross the process boundary. The worker is started lazily (or by
``warm_up``), imports matplotlib once, then serves every chart of this process, one at a time.
The same worker takes other pure computations too large for the event loop (``compute``): on a
thread their Python would hold the GIL against the loop just the same.
"""

from __future__ import annotations

import asyncio
import importlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from bot.heap import freeze_startup_objects

# chart kind -> (module, function)
RENDERERS = {
    "store": ("bot.charts.store", "render_store_chart"),
    "overview": ("bot.charts.ranking", "render_overview_chart"),
    "attainment": ("bot.charts.ranking", "render_attainment_overview"),
    "alert": ("bot.charts.alert", "render_alert_chart"),
    "people": ("bot.charts.people", "render_people_chart"),
    "me": ("bot.charts.me", "render_me_chart"),
    "service": ("bot.charts.service", "render_service_chart"),
    "campaign": ("bot.charts.campaign", "render_campaign_chart"),
    "channel_table": ("bot.charts.channels", "render_channel_table"),
}

PARENT_CHECK_SECONDS = 0.5
# Charts are background work: when the cores are busy, the event loop answering people goes
# first (a render at the same priority delayed the loop's wake-ups by tens of milliseconds).
WORKER_NICENESS = 10
_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
# Told (kind, seconds) after each chart: the process's metrics (``observe_renders``).
_observers: list[Callable[[str, float], None]] = []


def render_sync(kind: str, data: Any) -> bytes:
    """Draw chart ``kind`` here and now (in the worker, in scripts and in benchmarks)."""
    module, name = RENDERERS[kind]
    function = getattr(importlib.import_module(module), name)
    return bytes(function(data))


def _import_renderers() -> bool:
    for module, _ in RENDERERS.values():
        importlib.import_module(module)
    return True


def _start_worker(parent_pid: int) -> None:
    """In the worker, before its first task: matplotlib and the renderers imported once, then
    frozen out of the collector's full passes. Unfrozen, a large computation's input (500
    stores' facts) was unpickled in 70 ms instead of 7: the passes walked matplotlib's objects."""
    _exit_with_parent(parent_pid)
    os.nice(WORKER_NICENESS)
    _import_renderers()
    freeze_startup_objects()


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            # "spawn": never fork a process that has an event loop and database threads running.
            _pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )
        return _pool


def _exit_with_parent(parent_pid: int) -> None:
    """In the worker: exit when the bot process is gone. A killed bot (SIGKILL, out of memory)
    never tells its pool, and the worker, waiting on a queue whose write end it holds itself,
    would live on, holding the bot's stdout and stderr open."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _discard(pool: ProcessPoolExecutor) -> None:
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


async def render(kind: str, data: Any) -> bytes:
    """PNG bytes of chart ``kind`` for ``data``, drawn in the chart worker process."""
    if kind not in RENDERERS:
        raise KeyError(f"unknown chart kind {kind!r}")
    pool = _executor()
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    try:
        png = await loop.run_in_executor(pool, render_sync, kind, data)
    except BrokenProcessPool:
        _discard(pool)  # the worker died (killed, out of memory): the next chart starts anew
        raise
    seconds = time.perf_counter() - started
    for observe in tuple(_observers):
        observe(kind, seconds)
    return png


async def compute(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` in the worker process: a pure, module-level function whose arguments
    and result pickle. Where the worker cannot take it (it died), it runs on a thread."""
    pool = _executor()
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(pool, function, *args)
    except BrokenProcessPool:
        _discard(pool)
        return await asyncio.to_thread(function, *args)


def observe_renders(observer: Callable[[str, float], None]) -> Callable[[], None]:
    """Call ``observer(kind, seconds)`` after every chart this process renders (the worker is
    per process, so its observers are too); returns the function that removes it."""
    _observers.append(observer)

    def remove() -> None:
        if observer in _observers:
            _observers.remove(observer)

    return remove


async def warm_up() -> None:
    """Start the worker and import matplotlib there ahead of the first chart."""
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(_executor(), _import_renderers)


def shutdown() -> None:
    """Stop the worker (tests and scripts; the interpreter also does it at exit)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True)
