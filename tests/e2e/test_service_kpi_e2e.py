"""/kpi dept media end to end: the photo, the caption's numbers from a known history, scope
refusals; and the on-time alert of the morning job, once per week.

The harness clock is 2026-11-21 02:00 UTC. The seeded history (hours after submission):

    #  submitted  events                                               deadline  outcome
    1  -10 d      approve 2, assign 3, start 4, deliver 30, accept 40  +48 h     on time
    2  -8 d       approve 4, …, deliver 80, reopen 90, deliver 100,    +72 h     late, reopened
                  accept 110
    3  -5 d       approve 1, assign 2, start 3 (still in progress)     +48 h     late (open)
    4  -2 d       cancel 1                                             +24 h     left out
    5  -6 h       (waiting for approval)                               +3 d      not due yet
    6  -4 d       approve 2, assign 3, start 4, deliver 20, accept 30  +24 h     on time
    7  -12 d      approve 1, assign 1, start 2, deliver 10, accept 20  +8 h      late

Due 5, on time 2 (40%); cycle times 20, 30, 40, 110 h: median 30 h, p90 110 h (4,6 days);
approval waits 1, 1, 2, 2, 4 h: median 2 h, p90 4 h; delivered 4, one sent back (25%);
open: #3 (3–7 days) and #5 (<1 day).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from support.bot_harness import BotUnderTest

from bot.roles import Role
from bot.sandbox.client import SandboxUser
from jobs.runner import run_job
from jobs.table import default_handlers
from storage.models import Member, OrderEvent, OrderRequest, OutboxMessage

PNG = b"\x89PNG"
FLOWS: dict[str, tuple[str, str, str, str]] = {
    "approve": ("approve", "submitted", "approved", ""),
    "assign": ("assign", "approved", "assigned", ""),
    "start": ("start", "assigned", "in_progress", ""),
    "deliver": ("deliver", "in_progress", "delivered", ""),
    "reopen": ("reopen", "delivered", "reopened", ""),
    "redeliver": ("deliver", "reopened", "delivered", ""),
    "accept": ("accept", "delivered", "accepted", ""),
    "cancel": ("cancel", "submitted", "cancelled", ""),
}
HISTORY = [
    (-240, 48, [("approve", 2), ("assign", 3), ("start", 4), ("deliver", 30), ("accept", 40)]),
    (
        -192,
        72,
        [
            ("approve", 4),
            ("assign", 5),
            ("start", 6),
            ("deliver", 80),
            ("reopen", 90),
            ("redeliver", 100),
            ("accept", 110),
        ],
    ),
    (-120, 48, [("approve", 1), ("assign", 2), ("start", 3)]),
    (-48, 24, [("cancel", 1)]),
    (-6, 78, []),
    (-96, 24, [("approve", 2), ("assign", 3), ("start", 4), ("deliver", 20), ("accept", 30)]),
    (-288, 8, [("approve", 1), ("assign", 1), ("start", 2), ("deliver", 10), ("accept", 20)]),
]


async def seed_media_history(app: BotUnderTest, assignee_telegram_id: int) -> None:
    now = app.clock.now()
    async with app.db.session_factory() as session, session.begin():
        assignee = await session.scalar(
            select(Member).where(Member.telegram_id == assignee_telegram_id)
        )
        assert assignee is not None and assignee.department_id is not None
        for number, (offset, deadline, steps) in enumerate(HISTORY, start=1):
            submitted = now + timedelta(hours=offset)
            status = FLOWS[steps[-1][0]][2] if steps else "submitted"
            assigned = any(step == "assign" for step, _ in steps)
            order = OrderRequest(
                kind="order",
                type_code="video",
                title=f"Video {number}",
                department_id=assignee.department_id,
                assignee_id=assignee.id if assigned else None,
                status=status,
                fields={},
                deadline=submitted + timedelta(hours=deadline),
                created_at=submitted,
                updated_at=submitted + timedelta(hours=steps[-1][1] if steps else 0),
            )
            session.add(order)
            await session.flush()
            for step, hours in steps:
                action, source, target, _ = FLOWS[step]
                session.add(
                    OrderEvent(
                        order_id=order.id,
                        action=action,
                        from_status=source,
                        to_status=target,
                        at=submitted + timedelta(hours=hours),
                    )
                )


@pytest.fixture
async def khoa(app: BotUnderTest, user_factory) -> SandboxUser:
    user = user_factory(6101, "Khoa")
    await app.join(user, Role.MANAGER, "media")
    return user


@pytest.fixture
async def quan(app: BotUnderTest, user_factory) -> SandboxUser:
    user = user_factory(6102, "Quân")
    await app.join(user, Role.STAFF, "media")
    await seed_media_history(app, 6102)
    return user


async def test_media_manager_gets_the_chart_and_the_numbers(
    app: BotUnderTest, khoa: SandboxUser, quan: SandboxUser
) -> None:
    await khoa.send("/kpi dept media")
    photo = await khoa.next_photo()
    assert photo.data is not None and photo.data.startswith(PNG)
    caption = photo.text
    assert "Media" in caption and "28 ngày" in caption
    assert "Đúng hạn: 40% (2/5)" in caption
    assert "trung vị 30 giờ · p90 4,6 ngày (4 yêu cầu)" in caption
    assert "Chờ duyệt: trung vị 2 giờ · p90 4 giờ" in caption
    assert "làm lại: 25% (1/4)" in caption
    assert "Đang tồn: 2 (<1 ngày 1 · 1–3 ngày 0 · 3–7 ngày 1 · >7 ngày 0)" in caption
    assert "Quân: giao 4, đúng hạn 40%" in caption
    (sent,) = app.sandbox.calls_to("sendPhoto")  # taken as HTML the first time, not resent
    assert "&lt;1 ngày 1" in sent["caption"] and sent.get("parse_mode") == "HTML"


async def test_outside_members_are_refused_like_an_unknown_department(
    app: BotUnderTest, quan: SandboxUser, user_factory
) -> None:
    tuan = user_factory(6103, "Tuấn")
    await app.join(tuan, Role.MANAGER, "growth")
    await tuan.send("/kpi dept media")
    refused = await tuan.next_message()
    assert "Không tìm thấy phòng nhận yêu cầu" in refused.text
    assert refused.kind == "message"
    await quan.send("/kpi dept media")
    assert "Không tìm thấy phòng nhận yêu cầu" in (await quan.next_message()).text
    await tuan.send("/kpi dept nowhere")
    assert "Không tìm thấy phòng nhận yêu cầu" in (await tuan.next_message()).text
    await tuan.send("/kpi dept")  # Growth receives no requests: nothing of its own to show
    assert "Không tìm thấy phòng nhận yêu cầu" in (await tuan.next_message()).text


async def test_morning_job_alerts_the_manager_once_a_week(
    app: BotUnderTest, khoa: SandboxUser, quan: SandboxUser
) -> None:
    at = app.clock.now()
    handlers = default_handlers()
    outcome = await run_job(app.db.session_factory, app.org, "order_summary", at, handlers)
    assert outcome.status == "done"
    assert "1 on-time alerts" in (outcome.detail or "")
    next_day = at + timedelta(days=1)  # Sunday: the same ISO week
    await run_job(app.db.session_factory, app.org, "order_summary", next_day, handlers)
    async with app.db.session_factory() as session:
        rows = (
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "order_on_time")
            )
        ).all()
    khoa_member = await app.member(6101)
    assert khoa_member is not None
    assert [r.chat_id for r in rows] == [khoa_member.telegram_id]
    text = rows[0].payload["text"]
    assert "40%" in text and "80%" in text and "3/5" in text and "/kpi dept media" in text


async def test_a_manager_without_a_code_gets_their_own_department(
    app: BotUnderTest, khoa: SandboxUser, quan: SandboxUser
) -> None:
    await khoa.send("/kpi dept")
    assert "Đúng hạn: 40% (2/5)" in (await khoa.next_photo()).text


async def test_dept_shows_the_requests_section(
    app: BotUnderTest, khoa: SandboxUser, quan: SandboxUser
) -> None:
    # Nobody of Media reported videos yet: /dept shows the requests' chart itself.
    await khoa.send("/dept")
    photo = await khoa.next_photo()
    assert "Đúng hạn: 40% (2/5)" in photo.text
