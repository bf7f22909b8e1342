"""Serving the API with uvicorn inside the bot's process and event loop: started as a task next
to polling, stopped gracefully (in-flight requests finish) on shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

from bot.heap import freeze_startup_objects

log = logging.getLogger(__name__)
SHUTDOWN_GRACE_SECONDS = 10


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: `opsbot run` owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class ApiServer:
    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            lifespan="off",
            log_config=None,  # the bot's logging setup applies
            access_log=False,
            timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
            server_header=False,
        )
        self.server = _Server(config)
        self.host, self.port = host, port
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Listen, then serve in a task. OSError when the address cannot be bound (uvicorn
        would exit the process instead)."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.create_server((self.host, self.port), family=family)
        self.port = sock.getsockname()[1]  # port 0: the one the system chose
        self._task = asyncio.create_task(self.server.serve(sockets=[sock]), name="opsbot-http")
        while not self.server.started:
            if self._task.done():
                sock.close()
                await self._task  # raises the reason it stopped
                raise OSError(f"the HTTP API stopped while starting on {self.host}:{self.port}")
            await asyncio.sleep(0.01)
        freeze_startup_objects()  # FastAPI and uvicorn too (bench/api_bench.py: a 3.9 s pass)
        log.info("http api listening on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        if self._task is None:
            return
        self.server.should_exit = True
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None
        log.info("http api stopped")
