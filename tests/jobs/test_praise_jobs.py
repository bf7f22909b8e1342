"""Recognition in the daily digest and the weekly department message: exactly the stores and
people at or above 110% of pace are named, those just under are not (both backends).

November plans: 300tr per store (10tr a day), 300 videos per person (10 a day), no day weights.
HS-SHOPEE sells 11tr a day (110%), HS-TIKTOK 10,99tr (109,9%); Quân posts 11 videos a day
(110%), Lan 10,99 (109,9%).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support.people import add_person, sync_demo_org

from bot.demo.kpi_data import write_plan, write_report
from jobs.runner import run_job
from jobs.table import default_handlers
from storage.models import OutboxMessage
from storage.repositories import catalog
from storage.repositories import person_targets as repo

SF = async_sessionmaker[AsyncSession]
DIGEST_AT = datetime(2026, 11, 21, 4, 15, tzinfo=UTC)  # 11:15: the 20th is due
MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # the weekly messages, about 16-22/11


async def _seed(session_factory: SF) -> dict[str, int]:
    now = DIGEST_AT
    async with session_factory() as session, session.begin():
        org = await sync_demo_org(session)
        await add_person(session, 50, "Bảo", "bod", now=now)
        growth = await add_person(session, 51, "Minh", "staff", department="growth", now=now)
        quan = await add_person(session, 52, "Quân", "staff", department="media", now=now)
        lan = await add_person(session, 53, "Lan", "staff", department="media", now=now)
        await add_person(session, 54, "Vy", "staff", department="design", now=now)
        daily = {"HS-SHOPEE": 11_000_000.0, "HS-TIKTOK": 10_990_000.0}
        for code, gmv in daily.items():
            store = await catalog.get_store_by_code(session, code)
            assert store is not None
            for day in range(1, 21):
                await write_report(
                    session,
                    subject_key=f"store:{store.id}",
                    store_id=store.id,
                    form="growth",
                    day=date(2026, 11, day),
                    values={"gmv": gmv},
                    sent_at=datetime(2026, 11, day, 12, 0, tzinfo=UTC),
                )
            await write_plan(
                session, store_id=store.id, year=2026, month=11, targets={"gmv": 3e8}, now=now
            )
        for member, videos in ((quan, 11.0), (lan, 10.99)):
            for day in range(1, 21):
                await write_report(
                    session,
                    subject_key=f"member:{member.id}",
                    member_id=member.id,
                    form="media",
                    day=date(2026, 11, day),
                    values={"videos": videos},
                    sent_at=datetime(2026, 11, day, 12, 0, tzinfo=UTC),
                )
            await repo.add_target(
                session,
                member_id=member.id,
                metric="videos",
                month="2026-11",
                target=300,
                day_weights={},
                by=None,
                now=now,
            )
    assert org is not None
    return {"growth": growth.telegram_id, "quan": quan.telegram_id, "lan": lan.telegram_id}


def _praise_lines(rows: list[OutboxMessage]) -> list[str]:
    texts = [str(r.payload.get("caption") or r.payload.get("text") or "") for r in rows]
    return [line for text in texts for line in text.split("\n") if line.startswith("🌟")]


async def test_daily_digest_praises_exactly_those_at_110_percent(session_factory: SF) -> None:
    await _seed(session_factory)
    async with session_factory() as session:
        org = await sync_demo_org(session)
    outcome = await run_job(session_factory, org, "daily_digest", DIGEST_AT, default_handlers())
    assert outcome.status == "done"
    async with session_factory() as session:
        rows = list((await session.scalars(select(OutboxMessage))).all())
    lines = _praise_lines([r for r in rows if r.kind == "digest"])
    assert len(lines) == 1
    assert "HS-SHOPEE" in lines[0] and "Quân" in lines[0]
    assert "HS-TIKTOK" not in lines[0] and "Lan" not in lines[0]


async def test_weekly_praise_goes_to_each_department_that_has_someone_to_praise(
    session_factory: SF,
) -> None:
    ids = await _seed(session_factory)
    async with session_factory() as session:
        org = await sync_demo_org(session)
    handlers = default_handlers()
    outcome = await run_job(session_factory, org, "weekly_praise", MONDAY, handlers)
    assert outcome.status == "done"
    again = await run_job(
        session_factory, org, "weekly_praise", MONDAY + timedelta(hours=1), handlers
    )
    assert again.status == "already_ran"
    async with session_factory() as session:
        rows = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "praise"))
        )
    by_chat = {r.chat_id: str(r.payload["text"]) for r in rows}
    # Growth and Media have someone ahead; Design (Vy, no target, no store) gets nothing.
    assert set(by_chat) == {ids["growth"], ids["quan"], ids["lan"]}
    assert "HS-SHOPEE" in by_chat[ids["growth"]] and "HS-TIKTOK" not in by_chat[ids["growth"]]
    media = by_chat[ids["lan"]]
    assert "Quân" in media and "Lan" not in media.split("\n", 1)[1]
