"""`opsbot demo`: the sandbox and the real bot in one process, played by scripted users.

The chat transcript is printed as it happens and written to `<output>/transcript.txt`; images
and documents the bot sends are saved to the same folder.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TextIO

from bot.app import BotOptions, BotRuntime, create_bot
from bot.clock import SystemClock
from bot.demo.scenario import Scenario
from bot.demo.transcript import Transcript
from bot.org.loader import load_org
from bot.org.schema import OrgConfig
from bot.org.sync import sync_org
from bot.sandbox.server import SANDBOX_TOKEN, SandboxServer
from storage.database import Database, open_database

DEMO_ORG = Path(__file__).resolve().parent.parent.parent / "examples" / "demo-org.yaml"
log = logging.getLogger(__name__)


async def _prepare_database(output: Path) -> tuple[Database, OrgConfig]:
    db_file = output / "demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    database = await open_database(f"sqlite+aiosqlite:///{db_file}")
    org = load_org(DEMO_ORG)
    async with database.session_factory() as session, session.begin():
        await sync_org(session, org)
    return database, org


async def run_demo(output: Path, *, pause: float = 0.0, stream: TextIO = sys.stdout) -> int:
    """Play the scenario; 0 when every expected answer arrived, 1 otherwise."""
    logging.basicConfig(level=logging.WARNING)
    output.mkdir(parents=True, exist_ok=True)
    transcript = Transcript(output, stream)
    clock = SystemClock()
    async with SandboxServer() as server:
        server.add_listener(transcript.on_event)
        database, org = await _prepare_database(output)
        # Scenes run the jobs at the times they show; the sender delivers what they queue.
        options = BotOptions(polling_timeout=1, run_scheduler=False)
        runtime = BotRuntime(
            bot=create_bot(SANDBOX_TOKEN, server.base_url),
            database=database,
            clock=clock,
            org=org,
            options=options,
        )
        await runtime.start()
        transcript.write(f"opsbot demo: sandbox at {server.base_url}, org {DEMO_ORG.name}")
        try:
            await Scenario(server, database, clock, transcript, pause).play()
            status = 0
        except AssertionError as failure:
            transcript.write(f"\nDEMO FAILED: {failure}")
            status = 1
        finally:
            await runtime.stop()
            await database.close()
    transcript.write()
    transcript.write(f"Transcript: {output / 'transcript.txt'}")
    images = ", ".join(str(p) for p in transcript.images) or "none in these scenes"
    transcript.write(f"Images written to {output}/: {images}")
    transcript.close()
    return status
