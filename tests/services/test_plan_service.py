"""The plan service over a real database: preview, apply, conflicts, scope (both backends)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support.people import add_person, sync_demo_org

from bot.clock import FrozenClock
from bot.services import plans as service
from bot.services.scope import everything_scope, scope_of
from storage.models import Plan, PlanRevision

CSV = "store;metric;month;target\nHS-SHOPEE;gmv;2026-12;100tr\nHS-SHOPEE;orders;2026-12;900\n"


async def test_apply_writes_revisions_and_leaves_unchanged_rows_alone(
    session_factory: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    async with session_factory() as session, session.begin():
        org = await sync_demo_org(session)
        scope = await everything_scope(session)
        check = await service.check_plan_file(session, org, scope, "p.csv", CSV.encode())
        assert check.preview is not None and check.preview.counts["new"] == 2
        outcome = await service.apply_preview(
            session, org, scope, check.preview, member_id=None, now=clock.now(), source="cli"
        )
        assert outcome.ok and outcome.written == 2
    first_time = clock.now()
    clock.advance(timedelta(hours=1))
    async with session_factory() as session, session.begin():
        scope = await everything_scope(session)
        changed = CSV.replace("100tr", "120tr")
        check = await service.check_plan_file(session, org, scope, "p.csv", changed.encode())
        assert check.preview is not None
        assert check.preview.counts == {"new": 0, "changed": 1, "unchanged": 1}
        outcome = await service.apply_preview(
            session, org, scope, check.preview, member_id=None, now=clock.now(), source="cli"
        )
        assert outcome.written == 1
    async with session_factory() as session:
        plans = {p.metric: p for p in (await session.scalars(select(Plan))).all()}
        assert plans["gmv"].target == 120_000_000 and plans["gmv"].updated_at == clock.now()
        assert plans["orders"].updated_at == first_time  # untouched
        revisions = (await session.scalars(select(PlanRevision).order_by(PlanRevision.id))).all()
        assert [(r.old_target, r.new_target) for r in revisions][-1] == (100_000_000, 120_000_000)
        assert len(revisions) == 3


async def test_a_change_after_the_preview_is_a_conflict_and_nothing_is_written(
    session_factory: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    async with session_factory() as session, session.begin():
        org = await sync_demo_org(session)
        scope = await everything_scope(session)
        check = await service.check_plan_file(session, org, scope, "p.csv", CSV.encode())
    assert check.preview is not None
    async with session_factory() as session, session.begin():  # someone else, meanwhile
        other = await service.check_plan_file(
            session, org, scope, "o.csv", CSV.replace("900", "950").encode()
        )
        assert other.preview is not None
        await service.apply_preview(
            session, org, scope, other.preview, member_id=None, now=clock.now(), source="cli"
        )
    async with session_factory() as session, session.begin():
        outcome = await service.apply_preview(
            session, org, scope, check.preview, member_id=None, now=clock.now(), source="chat"
        )
        assert not outcome.ok and outcome.fresh is not None
        assert {c.metric for c in outcome.conflicts} == {"gmv", "orders"}
        fresh = {c.metric: c.kind for c in outcome.fresh.changes}
        assert fresh == {"gmv": "unchanged", "orders": "changed"}
    async with session_factory() as session:
        assert len((await session.scalars(select(PlanRevision))).all()) == 2


async def test_scope_is_checked_again_when_applying(
    session_factory: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    async with session_factory() as session, session.begin():
        org = await sync_demo_org(session)
        growth = await add_person(
            session, 1, "Tuấn", "manager", department="growth", now=clock.now()
        )
        media = await add_person(session, 2, "Vy", "manager", department="media", now=clock.now())
        check = await service.check_plan_file(
            session, org, await scope_of(session, growth), "p.csv", CSV.encode()
        )
        assert check.preview is not None
        refused = await service.apply_preview(
            session,
            org,
            await scope_of(session, media),
            check.preview,
            member_id=media.id,
            now=clock.now(),
            source="chat",
        )
        assert refused.refused == ("HS-SHOPEE",) and refused.written == 0
        media_check = await service.check_plan_file(
            session, org, await scope_of(session, media), "p.csv", CSV.encode()
        )
        assert media_check.preview is None
        assert {p.code for p in media_check.problems} == {"unknown_store"}
    async with session_factory() as session:
        assert (await session.scalars(select(Plan))).all() == []
