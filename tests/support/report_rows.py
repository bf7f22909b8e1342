"""Test data: reports saved directly (no chat), for stores or for a member's own output."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Member
from storage.repositories import catalog, reports


async def add_store_report(
    session: AsyncSession, store_code: str, day: date, now: datetime, *, form: str = "growth"
) -> None:
    store = await catalog.get_store_by_code(session, store_code)
    assert store is not None, f"no store {store_code!r}"
    await reports.save_report(
        session,
        subject_key=f"store:{store.id}",
        store_id=store.id,
        member_id=None,
        form=form,
        business_date=day,
        values={"gmv": 1_000_000.0},
        expected_revision=0,
        actor_id=None,
        now=now,
        source="import",
    )


async def add_person_report(
    session: AsyncSession, member: Member, form: str, metric: str, day: date, now: datetime
) -> None:
    await reports.save_report(
        session,
        subject_key=f"member:{member.id}",
        store_id=None,
        member_id=member.id,
        form=form,
        business_date=day,
        values={metric: 1.0},
        expected_revision=0,
        actor_id=member.id,
        now=now,
        source="import",
    )
