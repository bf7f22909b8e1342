"""``missing_data`` alerts of connected stores name where the data should have come from."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support.people import add_person, sync_demo_org

from bot.clock import FrozenClock
from bot.org.connectors import Connected
from bot.org.sources import Sources
from bot.services import alerts
from storage.models import OutboxMessage, Store
from storage.repositories import reports

SF = async_sessionmaker[AsyncSession]
DAY = date(2026, 11, 20)
AFTER_DEADLINE = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)  # 11:00 in Ho Chi Minh City
BOD_CHAT = -1001000000001
TUAN, HOA = 5002, 5003
VALUES = {"gmv": 12_500_000.0, "orders": 85.0}


async def save(session: AsyncSession, code: str, day: date, now: datetime) -> None:
    sid = await session.scalar(select(Store.id).where(Store.code == code))
    assert sid is not None
    await reports.save_report(
        session,
        subject_key=f"store:{sid}",
        store_id=sid,
        member_id=None,
        form="growth",
        business_date=day,
        values=VALUES,
        expected_revision=0,
        actor_id=None,
        now=now,
        source="api:n8n",
    )


def text_of(row: OutboxMessage) -> str:
    return str(row.payload.get("caption") or row.payload.get("text"))


async def test_missing_data_alert_names_the_source_of_connected_stores(
    session_factory: SF, clock: FrozenClock
) -> None:
    async with session_factory() as session, session.begin():
        org = await sync_demo_org(session)
        now = clock.now()
        await add_person(session, TUAN, "Tuấn", "manager", department="growth", now=now)
        await add_person(session, HOA, "Hoa", "manager", department="growth", locale="en", now=now)
        for store in org.stores:
            await save(session, store.code, DAY, now)
    org = org.model_copy(
        update={
            "sources": Sources(
                connected=(
                    Connected(stores=("HS-TIKTOK",), source="api"),
                    Connected(stores=("TTSG-SHOPEE",), source="import"),
                )
            )
        }
    )
    day = DAY + timedelta(days=2)  # nobody reported the 21st and the 22nd
    async with session_factory() as session, session.begin():
        run = await alerts.evaluate_alerts(
            session, org, day, AFTER_DEADLINE + timedelta(days=2), rule_types=["missing_data"]
        )
    assert run.opened == len(org.stores)
    async with session_factory() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
    by_store: dict[tuple[str, int], str] = {}
    for row in rows:
        text = text_of(row)
        code = next(s.code for s in org.stores if f"<b>{s.code}</b>" in text)
        by_store[(code, row.chat_id)] = text
    assert {chat for _, chat in by_store} == {BOD_CHAT, TUAN, HOA}

    assert "ngày liền (từ 21/11/2026) (dữ liệu tự động: API)" in by_store[("HS-TIKTOK", TUAN)]
    assert "(dữ liệu tự động: API)" in by_store[("HS-TIKTOK", BOD_CHAT)]
    assert "days in a row (since 21/11/2026) (automatic data: API)" in by_store[("HS-TIKTOK", HOA)]
    assert "(dữ liệu tự động: nhập file)" in by_store[("TTSG-SHOPEE", TUAN)]
    assert "(automatic data: file import)" in by_store[("TTSG-SHOPEE", HOA)]
    # A store whose numbers are typed: today's text, no source.
    typed = by_store[("HS-SHOPEE", TUAN)]
    assert "2 ngày liền (từ 21/11/2026)" in typed and "tự động" not in typed
    assert "automatic" not in by_store[("HS-SHOPEE", HOA)]
