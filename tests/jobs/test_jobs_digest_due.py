"""The daily digest reports on the latest day whose reports are due, never on reports that
may still come in on time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support.people import add_person, sync_demo_org
from support.report_rows import add_store_report

from jobs.digest_jobs import daily_digest
from storage.models import OutboxMessage

SF = async_sessionmaker[AsyncSession]


@pytest.mark.parametrize(
    ("at", "title", "coverage"),
    [
        # 09:00 on the 21st: the 20th is not due until 10:30, the digest is about the 19th.
        (datetime(2026, 11, 21, 2, 0, tzinfo=UTC), "Tổng hợp ngày 19/11/2026", "Báo cáo: 1/7"),
        # 11:15: the 20th is due, nobody reported it.
        (datetime(2026, 11, 21, 4, 15, tzinfo=UTC), "Tổng hợp ngày 20/11/2026", "Báo cáo: 0/7"),
    ],
    ids=["09:00", "11:15"],
)
async def test_daily_digest_covers_the_last_due_day(
    session_factory: SF, at: datetime, title: str, coverage: str
) -> None:
    async with session_factory() as session, session.begin():
        org = await sync_demo_org(session)
        await add_person(session, 11, "Minh", "staff", department="growth", now=at)
        await add_store_report(session, "HS-SHOPEE", date(2026, 11, 19), at)
        detail = await daily_digest(session, org, "2026-11-21", at)
    assert "1 message(s)" in detail
    async with session_factory() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
    text = str(rows[0].payload.get("caption") or rows[0].payload.get("text"))
    assert title in text and coverage in text
