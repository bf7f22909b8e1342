"""Migration 0006: value_revisions.source holds 64 characters and source_detail is new; going
back to 0005 keeps the kind of each source (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import inspect, text

from bot.clock import FrozenClock
from storage.database import Database
from storage.migrate import downgrade_to, upgrade_to_head
from storage.repositories import reports

DETAIL = "Order.all.20261101_20261130.xlsx sha256:" + "f" * 64


async def sources(db: Database) -> list[tuple[str, str | None]]:
    async with db.engine.connect() as conn:
        columns = await conn.run_sync(
            lambda c: {col["name"] for col in inspect(c).get_columns("value_revisions")}
        )
        detail = "source_detail" if "source_detail" in columns else "NULL"
        rows = await conn.execute(
            text(f"SELECT source, {detail} FROM value_revisions ORDER BY revision, metric")
        )
        return [(row[0], row[1]) for row in rows.all()]


async def test_long_sources_survive_and_downgrade_keeps_their_kind(
    db: Database, clock: FrozenClock
) -> None:
    async with db.session_factory() as session, session.begin():
        for revision, (source, detail) in enumerate(
            [
                ("chat", None),
                ("import:a-declared-format-with-a-long-name", DETAIL),
                ("api:n8n-shopee-nightly", None),
            ]
        ):
            await reports.save_report(
                session,
                subject_key="store:1",
                store_id=None,
                member_id=None,
                form="growth",
                business_date=date(2026, 11, 20),
                values={"gmv": 1000.0 + revision},
                expected_revision=revision,
                actor_id=None,
                now=clock.now(),
                source=source,
                detail=detail,
            )
    assert await sources(db) == [
        ("chat", None),
        ("import:a-declared-format-with-a-long-name", DETAIL),
        ("api:n8n-shopee-nightly", None),
    ]

    await downgrade_to(db.engine, "0005")

    assert await sources(db) == [("chat", None), ("import", None), ("api", None)]

    await upgrade_to_head(db.engine)

    assert await sources(db) == [("chat", None), ("import", None), ("api", None)]
