"""The Alembic revisions build exactly the schema the models describe, on every backend."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, String, Table, event, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from support.databases import DatabaseSpec

from storage.database import Database
from storage.migrate import current_revision, downgrade_to, head_revision, upgrade_to_head
from storage.models import Base, Department, Invite, Member


async def schema_differences(engine: AsyncEngine, metadata: MetaData) -> list[Any]:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with engine.connect() as conn:
        return await conn.run_sync(compare)


async def table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


def record_statements(engine: AsyncEngine) -> list[str]:
    seen: list[str] = []

    def remember(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", remember)
    return seen


async def test_upgrade_creates_every_table(db: Database) -> None:
    assert await table_names(db.engine) == set(Base.metadata.tables) | {"alembic_version"}
    assert await current_revision(db.engine) == head_revision()


async def test_migrated_schema_matches_models(db: Database) -> None:
    assert await schema_differences(db.engine, Base.metadata) == []


async def test_comparison_would_notice_drift(db: Database) -> None:
    drifted = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["job_runs"].append_column(Column("extra", String(10)))
    Table("not_migrated", drifted, Column("id", Integer, primary_key=True))

    kinds = {diff[0] for diff in await schema_differences(db.engine, drifted)}

    assert {"add_column", "add_table"} <= kinds


async def test_second_upgrade_changes_nothing(db: Database) -> None:
    statements = record_statements(db.engine)

    await upgrade_to_head(db.engine)

    ddl = [s for s in statements if s.lstrip().split()[0].upper() in {"CREATE", "ALTER", "DROP"}]
    assert ddl == []
    assert await current_revision(db.engine) == head_revision()


async def test_fresh_database_has_no_revision(database_spec: DatabaseSpec) -> None:
    async with database_spec.opened(upgrade=False) as database:
        assert await current_revision(database.engine) is None
        assert await table_names(database.engine) == set()


async def test_concurrent_upgrades_are_serialised(database_spec: DatabaseSpec) -> None:
    first = await database_spec.open(upgrade=False)
    second = await database_spec.open(upgrade=False)
    try:
        await asyncio.gather(upgrade_to_head(first.engine), upgrade_to_head(second.engine))
        assert await current_revision(first.engine) == head_revision()
        assert await schema_differences(second.engine, Base.metadata) == []
    finally:
        await first.close()
        await second.close()


async def test_downgrade_to_base_and_up_again(db: Database, clock: Any) -> None:
    now = clock.now()
    async with db.session_factory() as session, session.begin():
        department = Department(code="media", name_vi="Media", name_en="Media")
        session.add(department)
        await session.flush()
        admin = Member(telegram_id=1, full_name="Admin", role="admin", joined_at=now)
        session.add(admin)
        await session.flush()
        invite = Invite(
            token="tok",
            role="staff",
            department_id=department.id,
            created_by_id=admin.id,
            created_at=now,
            expires_at=now,
        )
        session.add(invite)
        await session.flush()
        session.add(
            Member(
                telegram_id=2, full_name="Staff", role="staff", joined_at=now, invite_id=invite.id
            )
        )

    await downgrade_to(db.engine, "base")

    assert await current_revision(db.engine) is None
    assert await table_names(db.engine) == {"alembic_version"}

    await upgrade_to_head(db.engine)

    assert await schema_differences(db.engine, Base.metadata) == []
    async with db.session_factory() as session:
        assert (await session.scalars(select(Member))).all() == []


async def test_version_table_holds_one_row(db: Database) -> None:
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
    assert [row[0] for row in rows] == [head_revision()]
