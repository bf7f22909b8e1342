"""The prune job forgets processed webhook updates (and their call journals) after 24 hours,
once per half hour, and nothing else."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FrozenClock
from bot.org.loader import load_org
from jobs.runner import run_job
from jobs.table import default_handlers
from storage.models import FsmRecord, ProcessedUpdate
from storage.repositories import updates

ORG = load_org(Path(__file__).resolve().parents[2] / "examples" / "demo-org.yaml")


async def test_prune_forgets_what_is_older_than_a_day(
    session_factory: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    now = clock.now()
    old, recent = now - timedelta(hours=25), now - timedelta(hours=23)
    async with session_factory() as session, session.begin():
        assert await updates.claim(session, 1, old)
        assert await updates.claim(session, 2, recent)
        assert not await updates.claim(session, 2, now)  # already there
        await updates.save_journal(session, 1, None, [{"method": "sendMessage"}], old)
        await updates.save_journal(session, 2, None, [{"method": "sendMessage"}], recent)
        session.add(FsmRecord(key="fsm:1:5:5:default", state="x", data={}, updated_at=old))

    handlers = default_handlers()
    first = await run_job(session_factory, ORG, "prune_updates", now, handlers)
    assert (first.status, first.detail) == ("done", "1 processed update(s) forgotten")
    again = await run_job(session_factory, ORG, "prune_updates", now, handlers)
    assert again.status == "already_ran"
    later = await run_job(
        session_factory, ORG, "prune_updates", now + timedelta(minutes=30), handlers
    )
    assert later.detail == "0 processed update(s) forgotten"

    async with session_factory() as session:
        assert set((await session.scalars(select(ProcessedUpdate.update_id))).all()) == {2}
        keys = set((await session.scalars(select(FsmRecord.key))).all())
        assert keys == {"update-journal:2", "fsm:1:5:5:default"}
        assert await updates.journal_calls(session, 2) == [{"method": "sendMessage"}]
        assert await updates.journal_calls(session, 1) == []
