"""The plan file's people sheet: read, previewed, written with revisions; bad rows refused with
their sheet, row and column (both backends)."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support.people import add_person, sync_demo_org

from bot.clock import FrozenClock
from bot.i18n import Translator
from bot.services import plans as service
from bot.services.scope import scope_of
from bot.views.plans import preview_text, problems_text
from storage.models import PersonTarget, PersonTargetRevision

PLAN = [("Cửa hàng", "Chỉ số", "Tháng", "Mục tiêu"), ("HS-SHOPEE", "gmv", "2026-12", "100tr")]


def workbook(people: list[tuple[Any, ...]], plan: list[tuple[Any, ...]] | None = None) -> bytes:
    book = Workbook()
    first = book.active
    assert first is not None
    if plan is not None:
        first.title = "Kế hoạch"
        for row in plan:
            first.append(row)
        sheet = book.create_sheet("people")
    else:
        first.title = "people"
        sheet = first
    for row in people:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def _team(session: AsyncSession, clock: FrozenClock) -> tuple[Any, Any, Any]:
    manager = await add_person(session, 1, "Khoa", "manager", department="media", now=clock.now())
    lan = await add_person(session, 555001, "Lan", "staff", department="media", now=clock.now())
    lan.username = "Lan_Media"
    outsider = await add_person(session, 3, "Tuấn", "staff", department="growth", now=clock.now())
    outsider.username = "tuan_growth"
    await session.flush()
    return manager, lan, outsider


async def test_people_rows_are_previewed_and_written_with_revisions(
    session_factory: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    people = [
        ("Người", "Chỉ số", "Tháng", "Mục tiêu"),
        ("@lan_media", "videos", "2026-12", "40"),
        ("1", "videos", "2026-12", "30"),  # the manager by Telegram id
    ]
    async with session_factory() as session, session.begin():
        org = await sync_demo_org(session)
        manager, lan, _ = await _team(session, clock)
        scope = await scope_of(session, manager)
        check = await service.check_plan_file(session, org, scope, "p.xlsx", workbook(people))
        assert check.problems == ()
        assert check.preview is not None
        assert [(p.member_id, p.metric, p.new_target) for p in check.preview.people] == [
            (lan.id, "videos", 40.0),
            (manager.id, "videos", 30.0),
        ]
        text = preview_text(org, "p.xlsx", check.preview, Translator("vi"))
        assert "Mục tiêu cá nhân: 2 mới" in text and "@lan_media" in text and "12/2026" in text
        outcome = await service.apply_preview(
            session, org, scope, check.preview, member_id=manager.id, now=clock.now(), source="chat"
        )
        assert outcome.ok and outcome.written == 2
    clock.advance(timedelta(hours=1))
    people[1] = ("@lan_media", "videos", "2026-12", "45")
    async with session_factory() as session, session.begin():
        scope = await scope_of(session, manager)
        check = await service.check_plan_file(session, org, scope, "p.xlsx", workbook(people))
        assert check.preview is not None
        assert [p.kind for p in check.preview.people] == ["changed", "unchanged"]
        outcome = await service.apply_preview(
            session, org, scope, check.preview, member_id=manager.id, now=clock.now(), source="chat"
        )
        assert outcome.written == 1
    async with session_factory() as session:
        rows = {r.member_id: r for r in (await session.scalars(select(PersonTarget))).all()}
        assert rows[lan.id].target == 45 and rows[lan.id].month == "2026-12"
        assert rows[manager.id].target == 30
        revisions = (await session.scalars(select(PersonTargetRevision))).all()
        assert sorted((r.old_target or 0.0, r.new_target) for r in revisions) == [
            (0.0, 30.0),
            (0.0, 40.0),
            (40.0, 45.0),
        ]


async def test_bad_people_rows_are_named_and_nothing_is_written(
    session_factory: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    people = [
        ("Member", "Metric", "Month", "Target"),
        ("@nobody", "videos", "2026-12", "10"),
        ("@tuan_growth", "videos", "2026-12", "10"),  # not in a Media manager's scope
        ("@lan_media", "vidoes", "2026-12", "10"),
        ("@lan_media", "videos", "2026-12", "10"),
        ("@lan_media", "videos", "2026-12", "12"),
    ]
    async with session_factory() as session, session.begin():
        org = await sync_demo_org(session)
        manager, _, _ = await _team(session, clock)
        scope = await scope_of(session, manager)
        check = await service.check_plan_file(session, org, scope, "p.xlsx", workbook(people, PLAN))
        assert check.preview is None
        found = [(p.code, p.sheet, p.row, p.column) for p in check.problems]
        assert ("unknown_member", "people", 2, "A") in found
        assert ("unknown_member", "people", 3, "A") in found
        assert ("unknown_person_metric", "people", 4, "B") in found
        assert ("duplicate_person", "people", 6, None) in found
        # The plan sheet's store is outside a Media manager's scope too.
        assert ("unknown_store", "Kế hoạch", 2, "A") in found
        text = problems_text("p.xlsx", check.problems, Translator("vi"))
        assert "«@nobody»" in text and "videos" in text and "@lan_media" in text
    async with session_factory() as session:
        assert (await session.scalars(select(PersonTarget))).all() == []


async def test_a_file_with_only_a_plan_sheet_reads_as_before(
    session_factory: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    async with session_factory() as session, session.begin():
        org = await sync_demo_org(session)
        admin = await add_person(session, 9, "An", "admin", now=clock.now())
        scope = await scope_of(session, admin)
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        for row in PLAN:
            sheet.append(row)
        buffer = io.BytesIO()
        book.save(buffer)
        check = await service.check_plan_file(session, org, scope, "p.xlsx", buffer.getvalue())
        assert check.preview is not None and check.preview.people == ()
        assert check.preview.counts == {"new": 1, "changed": 0, "unchanged": 0}
