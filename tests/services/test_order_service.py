"""Order service on both backends: concurrency, follow-up tasks, SLA reminders, the morning
summary and the export sheets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from support.people import add_person, sync_demo_org

from bot.clock import FrozenClock
from bot.domain.months import YearMonth
from bot.domain.order_workflow import Action
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.services.order_export import requests_sheet, timeline_sheet
from bot.services.orders import NoManagerError, act, create_order, create_task, list_tab
from bot.services.scope import scope_of
from jobs.runner import run_job
from jobs.table import default_handlers
from storage.database import Database
from storage.models import Member, OrderRequest, OutboxMessage

NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)  # Saturday 09:00 in Ho Chi Minh City


@dataclass
class People:
    tuan: Member
    lan: Member
    vy: Member
    minh: Member


async def setup(db: Database) -> tuple[OrgConfig, People]:
    async with db.session_factory() as session, session.begin():
        org = await sync_demo_org(session)
        people = People(
            tuan=await add_person(session, 1, "Tuấn", "manager", department="growth", now=NOW),
            lan=await add_person(session, 2, "Lan", "manager", department="design", now=NOW),
            vy=await add_person(session, 3, "Vy", "staff", department="design", now=NOW),
            minh=await add_person(
                session, 4, "Minh", "staff", department="growth", stores=["HS-SHOPEE"], now=NOW
            ),
        )
    return org, people


def banner_answers(store_id: int, due: str = "2026-11-25T14:00") -> dict[str, object]:
    return {
        "store": {"id": store_id, "code": "HS-SHOPEE"},
        "size": "1200x1200",
        "brief": "Banner 12.12",
        "due_date": due,
    }


async def submit_banner(db: Database, org: OrgConfig, requester: Member, due: str) -> int:
    async with db.session_factory() as session, session.begin():
        order_type = org.order_type("banner")
        assert order_type is not None
        order = await create_order(
            session,
            org,
            requester=requester,
            order_type=order_type,
            answers=banner_answers(1, due),
            now=NOW,
        )
        return order.id


async def outbox_rows(db: Database) -> list[OutboxMessage]:
    async with db.session_factory() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def test_submit_notifies_the_managers_once_and_records_an_event(db: Database) -> None:
    org, people = await setup(db)
    order_id = await submit_banner(db, org, people.minh, "2026-11-25T14:00")
    rows = await outbox_rows(db)
    assert [(r.chat_id, r.priority, r.kind) for r in rows] == [(2, 30, "order_submit")]
    assert "Yêu cầu mới #1" in rows[0].payload["text"]
    async with db.session_factory() as session:
        order = await session.get(OrderRequest, order_id)
        assert order is not None and order.status == "submitted" and order.version == 1
        assert order.title == "Thiết kế banner · HS-SHOPEE"
        assert order.deadline == datetime(2026, 11, 25, 7, 0, tzinfo=UTC)


async def test_a_department_without_manager_is_refused(db: Database) -> None:
    org, people = await setup(db)
    order_type = org.order_type("video")  # Media has no manager here
    assert order_type is not None
    async with db.session_factory() as session, session.begin():
        with pytest.raises(NoManagerError):
            await create_order(
                session, org, requester=people.minh, order_type=order_type, answers={}, now=NOW
            )
        assert (await session.scalars(select(OrderRequest))).all() == []


async def test_two_managers_acting_on_one_version_only_the_first_wins(db: Database) -> None:
    org, people = await setup(db)
    order_id = await submit_banner(db, org, people.minh, "2026-11-25T14:00")
    async with db.session_factory() as session, session.begin():
        first = await act(
            session, org, actor=people.lan, order_id=order_id, action=Action.APPROVE,
            version=1, now=NOW,
        )  # fmt: skip
        second = await act(
            session, org, actor=people.lan, order_id=order_id, action=Action.REJECT,
            version=1, note="hết ngân sách", now=NOW + timedelta(minutes=1),
        )  # fmt: skip
    assert first.ok and first.order is not None and first.order.version == 2
    assert second.verdict == "stale"
    assert second.last is not None and second.last.action == "approve"
    assert second.last_actor is not None and second.last_actor.full_name == "Lan"


async def test_wrong_people_and_wrong_assignees_change_nothing(db: Database) -> None:
    org, people = await setup(db)
    order_id = await submit_banner(db, org, people.minh, "2026-11-25T14:00")
    async with db.session_factory() as session, session.begin():
        by_growth = await act(
            session, org, actor=people.tuan, order_id=order_id, action=Action.APPROVE,
            version=1, now=NOW,
        )  # fmt: skip
        to_outsider = await act(
            session, org, actor=people.lan, order_id=order_id, action=Action.ASSIGN,
            version=1, assignee_id=people.minh.id, now=NOW,
        )  # fmt: skip
        order = await session.get(OrderRequest, order_id)
    assert by_growth.verdict == "not_allowed"
    assert to_outsider.verdict == "bad_assignee"
    assert order is not None and order.status == "submitted" and order.version == 1


async def test_follow_up_task_is_born_assigned_and_accepted_by_its_creator(db: Database) -> None:
    org, people = await setup(db)
    async with db.session_factory() as session, session.begin():
        task = await create_task(
            session,
            department_id=people.lan.department_id or 0,
            store_id=None,
            assignee_id=people.vy.id,
            title="Kiểm tra CR giảm ở HS-SHOPEE",
            alert_id=None,
            creator_id=people.lan.id,
            deadline=NOW + timedelta(days=1),
            now=NOW,
            org=org,
        )
        task_id = task.id
    rows = await outbox_rows(db)
    assert [r.chat_id for r in rows] == [3] and "▶️ Bắt đầu" in str(rows[0].payload)
    async with db.session_factory() as session, session.begin():
        tabs, _ = await list_tab(session, people.vy, "assigned", 0, NOW)
        assert [o.id for o in tabs] == [task_id]
        steps: list[tuple[Action, Member, str | None]] = [
            (Action.START, people.vy, None),
            (Action.DELIVER, people.vy, "đã sửa ảnh bìa"),
            (Action.ACCEPT, people.lan, None),
        ]
        for action, actor, note in steps:
            order = await session.get(OrderRequest, task_id)
            assert order is not None
            outcome = await act(
                session, org, actor=actor, order_id=task_id, action=action,
                version=order.version, now=NOW, note=note,
            )  # fmt: skip
            assert outcome.ok, (action, outcome.verdict)
        done = await session.get(OrderRequest, task_id)
        assert done is not None and done.kind == "task" and done.status == "accepted"


async def _assign_to_vy(db: Database, org: OrgConfig, people: People, order_id: int) -> None:
    async with db.session_factory() as session, session.begin():
        outcome = await act(
            session, org, actor=people.lan, order_id=order_id, action=Action.ASSIGN,
            version=1, assignee_id=people.vy.id, now=NOW,
        )  # fmt: skip
        assert outcome.ok


async def test_sla_job_reminds_once_per_order_and_kind(db: Database) -> None:
    org, people = await setup(db)
    soon = await submit_banner(db, org, people.minh, "2026-11-22T18:00")  # due in 33 h
    waiting = await submit_banner(db, org, people.minh, "2026-11-28T18:00")
    await _assign_to_vy(db, org, people, soon)
    handlers = default_handlers()
    before = len(await outbox_rows(db))

    async def run(at: datetime) -> list[OutboxMessage]:
        await run_job(db.session_factory, org, "order_sla", at, handlers)
        return (await outbox_rows(db))[before:]

    assert await run(NOW) == []
    # 5 hours later: the approval of `waiting` is overdue (4 h), `soon` is 28 h away.
    rows = await run(NOW + timedelta(hours=5))
    assert [(r.kind, r.chat_id) for r in rows] == [("order_sla_approval", 2)]
    assert f"#{waiting}" in rows[0].payload["text"]
    # Within 24 h of the deadline, then within 2 h, then overdue: each exactly once.
    rows = await run(NOW + timedelta(hours=10))
    rows = await run(NOW + timedelta(hours=10, minutes=15))
    assert [r.kind for r in rows] == ["order_sla_approval", "order_sla_due24"]
    rows = await run(NOW + timedelta(hours=31, minutes=30))
    rows = await run(NOW + timedelta(hours=32))
    assert [r.kind for r in rows][-1] == "order_sla_due2"
    rows = await run(NOW + timedelta(hours=34))
    rows = await run(NOW + timedelta(hours=40))
    kinds = [r.kind for r in rows]
    assert kinds.count("order_sla_overdue") == 1 and kinds.count("order_sla_due24") == 1
    assert kinds.count("order_sla_approval") == 1 and kinds.count("order_sla_due2") == 1
    overdue = next(r for r in rows if r.kind == "order_sla_overdue")
    assert overdue.chat_id == 2 and overdue.priority == 30


async def test_morning_summary_counts_each_departments_queue(db: Database) -> None:
    org, people = await setup(db)
    first = await submit_banner(db, org, people.minh, "2026-11-25T14:00")
    await submit_banner(db, org, people.minh, "2026-11-26T14:00")
    await _assign_to_vy(db, org, people, first)
    outcome = await run_job(db.session_factory, org, "order_summary", NOW, default_handlers())
    assert outcome.status == "done"
    again = await run_job(db.session_factory, org, "order_summary", NOW, default_handlers())
    assert again.status == "already_ran"
    summaries = [r for r in await outbox_rows(db) if r.kind == "order_summary"]
    assert [r.chat_id for r in summaries] == [2]
    assert "Chờ duyệt: 1" in summaries[0].payload["text"]
    assert "Đang làm: 1" in summaries[0].payload["text"]


async def test_export_sheets_follow_scope(db: Database, clock: FrozenClock) -> None:
    from bot.services.export import ExportRequest, build_export

    org, people = await setup(db)
    order_id = await submit_banner(db, org, people.minh, "2026-11-25T14:00")
    await _assign_to_vy(db, org, people, order_id)
    async with db.session_factory() as session:
        for member, expected in ((people.lan, 1), (people.vy, 1), (people.tuan, 1)):
            request = ExportRequest(
                org, await scope_of(session, member), YearMonth(2026, 11), date(2026, 11, 21),
                Translator("vi"),
            )  # fmt: skip
            sheet = await requests_sheet(session, request)
            assert sheet is not None and len(sheet.rows) == expected
            assert sheet.rows[0][0] == order_id and "Đã giao việc" in sheet.rows[0]
            timeline = await timeline_sheet(session, request)
            assert timeline is not None
            assert [row[3] for row in timeline.rows] == ["Gửi yêu cầu", "Giao việc"]
        exported = await build_export(session, request)  # the sheets are in every export
        assert exported is not None
        assert exported.sheets[-2:] == ("Yêu cầu", "Lịch sử yêu cầu")
        other = await add_person(session, 9, "Khoa", "staff", department="media", now=NOW)
        outsider = ExportRequest(
            org, await scope_of(session, other), YearMonth(2026, 11), date(2026, 11, 21),
            Translator("vi"),
        )  # fmt: skip
        assert await requests_sheet(session, outsider) is None
        december = ExportRequest(
            org, await scope_of(session, people.lan), YearMonth(2026, 12), date(2026, 11, 21),
            Translator("vi"),
        )  # fmt: skip
        assert await requests_sheet(session, december) is None


async def test_tabs_are_paginated_and_overdue_follows_the_clock(db: Database) -> None:
    org, people = await setup(db)
    ids = [await submit_banner(db, org, people.minh, "2026-11-25T14:00") for _ in range(10)]
    later = NOW + timedelta(days=5)
    async with db.session_factory() as session:
        first, more = await list_tab(session, people.minh, "mine", 0, NOW)
        second, after = await list_tab(session, people.minh, "mine", 1, NOW)
        queue, _ = await list_tab(session, people.lan, "queue", 0, NOW)
        growth_queue, _ = await list_tab(session, people.tuan, "queue", 0, NOW)
        overdue_now, _ = await list_tab(session, people.lan, "overdue", 0, NOW)
        overdue_later, _ = await list_tab(session, people.lan, "overdue", 0, later)
        outsider_later, _ = await list_tab(session, people.vy, "overdue", 0, later)
    assert [o.id for o in first] == ids[::-1][:8] and more
    assert [o.id for o in second] == ids[::-1][8:] and not after
    assert len(queue) == 8 and growth_queue == []
    assert overdue_now == [] and len(overdue_later) == 8 and outsider_later == []
