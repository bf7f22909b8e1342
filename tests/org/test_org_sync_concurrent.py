"""Several processes started together each sync the same org file into an empty database: they
take turns, so every one of them starts instead of failing on a duplicate department."""

from __future__ import annotations

import asyncio

from org_helpers import DEMO_ORG
from sqlalchemy import func, select

from bot.org.loader import load_org
from bot.org.sync import SyncReport, sync_org
from storage.database import Database
from storage.models import Department, Store


async def test_three_syncs_at_once_all_succeed_and_write_each_row_once(db: Database) -> None:
    org = load_org(DEMO_ORG)

    async def sync() -> SyncReport:
        async with db.session_factory() as session, session.begin():
            return await sync_org(session, org)

    reports = await asyncio.gather(sync(), sync(), sync())

    added = [len(report.departments.added) for report in reports]
    assert sorted(added) == [0, 0, len(org.departments)]  # one wrote them, the others found them
    async with db.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Department)) == len(
            org.departments
        )
        assert await session.scalar(select(func.count()).select_from(Store)) == len(org.stores)
