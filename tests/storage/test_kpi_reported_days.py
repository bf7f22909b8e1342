"""Reported days read as spans (first, last, count) where a subject has no gap, and day by day
where it has: the answer equals the plain list of distinct (subject, date) pairs, on random
reports with gaps, full runs, single days and several forms on one day."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Report
from storage.repositories import kpi as kpi_repo

SF = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
FIRST = date(2026, 9, 20)
DAYS = 70


def _pattern(rng: random.Random) -> list[int]:
    """Day offsets a subject reported: a full run, a run with holes, scattered days, one."""
    kind = rng.choice(("run", "holes", "scattered", "one"))
    start, length = rng.randrange(DAYS), rng.randint(1, DAYS)
    run = [d for d in range(start, start + length) if d < DAYS]
    if kind == "run":
        return run
    if kind == "holes":
        return [d for d in run if rng.random() < 0.8]
    if kind == "scattered":
        return rng.sample(range(DAYS), rng.randint(1, 12))
    return [rng.randrange(DAYS)]


async def test_reported_days_equal_the_plain_distinct_days(session_factory: SF) -> None:
    rng = random.Random(3)
    subjects = [f"store:{n}" for n in range(40)] + [f"member:{n}" for n in range(10)]
    async with session_factory() as session, session.begin():
        for subject in subjects:
            for offset in _pattern(rng):
                day = FIRST + timedelta(days=offset)
                forms = ["growth"] + (["livestream"] if rng.random() < 0.2 else [])
                for form in forms:
                    session.add(
                        Report(
                            subject_key=subject,
                            form=form,
                            business_date=day,
                            created_at=NOW,
                            updated_at=NOW,
                        )
                    )
    async with session_factory() as session:
        rows = (await session.execute(select(Report.subject_key, Report.business_date))).all()
        for _ in range(30):
            start = FIRST + timedelta(days=rng.randrange(-5, DAYS))
            end = start + timedelta(days=rng.randrange(0, 40))
            keys = rng.sample(subjects, rng.randint(1, len(subjects)))
            want: dict[str, set[date]] = defaultdict(set)
            for subject, day in rows:
                if subject in keys and start <= day <= end:
                    want[subject].add(day)
            assert await kpi_repo.reported_days(session, keys, start, end) == dict(want)
