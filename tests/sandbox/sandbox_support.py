"""Helpers for the sandbox tests (imported by name: the folder is on sys.path under pytest)."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.sandbox.server import SandboxServer

ALICE_ID = 1001
BOB_ID = 1002


@dataclass
class ApiReply:
    status: int
    body: dict[str, Any]

    @property
    def result(self) -> Any:
        assert self.body.get("ok") is True, self.body
        return self.body["result"]

    @property
    def description(self) -> str:
        assert self.body.get("ok") is False, self.body
        return str(self.body["description"])


class RawApi:
    """Bot API calls over plain HTTP, to check what the server accepts and answers."""

    def __init__(self, session: aiohttp.ClientSession, server: SandboxServer) -> None:
        self.session = session
        self.server = server

    def url(self, method: str, token: str | None = None) -> str:
        return f"{self.server.base_url}/bot{token or self.server.token}/{method}"

    async def call(self, method: str, token: str | None = None, **kwargs: Any) -> ApiReply:
        async with self.session.post(self.url(method, token), **kwargs) as response:
            return ApiReply(response.status, await response.json(content_type=None))

    async def json(self, method: str, **params: Any) -> ApiReply:
        return await self.call(method, json=params)


def tiny_png(width: int = 640, height: int = 480) -> bytes:
    """A valid greyscale PNG of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * (width + 1) * height)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PNG = tiny_png()
