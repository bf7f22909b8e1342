"""A tiny HTTP receiver standing in for the bot's webhook endpoint in the sandbox tests."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

PATH = "/telegram/webhook"


@dataclass
class Received:
    update: dict[str, Any]
    headers: dict[str, str]
    content_type: str
    at: float

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])


Responder = Callable[[Received], Awaitable[web.StreamResponse]]


async def answer_ok(received: Received) -> web.StreamResponse:
    return web.json_response({"ok": True})


@dataclass
class Receiver:
    """Records every POST; `respond` decides the answer; counts requests in progress."""

    port: int = 0
    respond: Responder = answer_ok
    received: list[Received] = field(default_factory=list)
    current: int = 0
    most_concurrent: int = 0
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PATH}"

    @property
    def update_ids(self) -> list[int]:
        return [item.update_id for item in self.received]

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(PATH, self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        self.port = int(runner.addresses[0][1])
        self._runner = runner

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        received = Received(
            update=await request.json(),
            headers=dict(request.headers),
            content_type=request.content_type,
            at=time.monotonic(),
        )
        self.received.append(received)
        self.current += 1
        self.most_concurrent = max(self.most_concurrent, self.current)
        try:
            return await self.respond(received)
        finally:
            self.current -= 1


def free_port() -> int:
    """A port nothing listens on (bound and released at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait for a positive signal the sandbox gives no event for (e.g. the Nth failed POST)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)
