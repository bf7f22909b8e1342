"""SQL statements per update, long polling against webhook mode: the cost of applying each
update exactly once (chat lock, processed-update record, state re-read, call journal).

Prints the statements one /help update makes, on SQLite and (when reachable) PostgreSQL:

    PYTHONPATH=. .venv/bin/python bench/update_statements.py [--backend sqlite|postgres]

The bot runs on the sandbox Bot API; PostgreSQL: TEST_POSTGRES_URL or
postgresql+asyncpg://postgres@127.0.0.1:5432/test, in a schema of its own dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.bot_harness import BotUnderTest, Mode
from support.databases import POSTGRES_ENV, make_database

from bot.clock import FrozenClock
from bot.roles import Role
from bot.sandbox.client import SandboxUser
from bot.sandbox.server import SandboxServer

UPDATES = 20
STATEMENTS = [0]


def _count(*_: Any) -> None:
    STATEMENTS[0] += 1


async def measure(mode: Mode, backend: str) -> float:
    clock = FrozenClock(datetime(2026, 11, 21, 2, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as tmp:
        async with SandboxServer() as sandbox, make_database(backend, Path(tmp)) as spec:
            app = BotUnderTest(sandbox, spec, clock, mode=mode)
            await app.start()
            try:
                user = SandboxUser(sandbox, 5001, "Minh")
                await app.join(user, Role.STAFF, "growth", ("HS-SHOPEE",))
                await settle(sandbox, mode)
                STATEMENTS[0] = 0
                for _ in range(UPDATES):
                    await user.send("/help")
                    await user.next_message()
                    await settle(sandbox, mode)
                return STATEMENTS[0] / UPDATES
            finally:
                await app.stop()


async def settle(sandbox: SandboxServer, mode: Mode) -> None:
    """Until the update's transaction is over (the reply comes before the commit)."""
    if mode == "webhook":
        await sandbox.webhook_idle(10)
    else:
        await asyncio.sleep(0.2)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), action="append")
    args = parser.parse_args()
    os.environ.setdefault(POSTGRES_ENV, "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    event.listen(Engine, "before_cursor_execute", _count)
    for backend in args.backend or ["sqlite", "postgres"]:
        for mode in ("polling", "webhook"):
            per_update = await measure(mode, backend)
            print(f"{backend:8} {mode:8} {per_update:4.1f} SQL statements per /help update")


if __name__ == "__main__":
    asyncio.run(main())
