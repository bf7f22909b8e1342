"""`/plan template`'s people sheet end to end: the people the requester sees who report per
person or own stores, with their forms' metrics and their stored targets of the month; filled
in and sent back it writes exactly the targets written, unchanged it changes nothing.

The harness clock is 2026-11-21: the template is December's.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from support.bot_harness import BotUnderTest

from bot.roles import Role
from bot.sandbox.client import BotOutput, SandboxUser
from bot.sandbox.server import SandboxServer
from storage.models import Member, PersonTarget, PersonTargetRevision, Plan
from storage.repositories import person_targets as repo

SHEET = "Mục tiêu cá nhân"
HEADER = ("Thành viên", "Tên", "Chỉ số", "Tên chỉ số", "Tháng", "Mục tiêu")
GROWTH_METRICS = ["gmv", "nmv", "orders", "traffic", "ads_cost"]  # plans.metrics of the demo
TUAN, MINH, HA, KHOA, QUAN = 6601, 6602, 6603, 6604, 6605


async def targets(app: BotUnderTest) -> dict[tuple[str, str, str], float]:
    """(username or Telegram id, metric, month) -> target."""
    async with app.db.session_factory() as session:
        rows = await session.execute(
            select(Member, PersonTarget).join(Member, Member.id == PersonTarget.member_id)
        )
        return {
            (member.username or str(member.telegram_id), row.metric, row.month): row.target
            for member, row in rows.all()
        }


async def revision_count(app: BotUnderTest) -> int:
    async with app.db.session_factory() as session:
        return len((await session.scalars(select(PersonTargetRevision))).all())


async def add_target(app: BotUnderTest, telegram_id: int, metric: str, target: float) -> None:
    member = await app.member(telegram_id)
    assert member is not None
    async with app.db.session_factory() as session, session.begin():
        await repo.add_target(
            session,
            member_id=member.id,
            metric=metric,
            month="2026-12",
            target=target,
            day_weights={},
            by=None,
            now=app.clock.now(),
        )


async def template(user: SandboxUser) -> tuple[BotOutput, Any]:
    await user.send("/plan template")
    document = await user.next_document()
    assert document.data is not None and document.file_name == "ke-hoach-2026-12.xlsx"
    return document, load_workbook(io.BytesIO(document.data))


def people_rows(book: Any) -> list[tuple[Any, ...]]:
    rows = list(book[SHEET].iter_rows(values_only=True))
    assert rows[0] == HEADER
    return rows[1:]


def saved(book: Any) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def send_back(user: SandboxUser, content: bytes) -> str:
    await user.send_document("ke-hoach-2026-12.xlsx", content)
    return (await user.next_message()).text


@pytest.fixture
async def team(app: BotUnderTest, sandbox: SandboxServer) -> AsyncIterator[dict[int, SandboxUser]]:
    """Growth: Tuấn (manager), Minh (@minh_hs, HS-SHOPEE), Hà (no username, HS-TIKTOK).
    Media: Khoa (manager), Quân (@quan_media). Stored December targets: Minh's GMV, Quân's
    videos."""
    users = {
        TUAN: SandboxUser(sandbox, TUAN, "Tuấn", "tuan_growth"),
        MINH: SandboxUser(sandbox, MINH, "Minh", "minh_hs"),
        HA: SandboxUser(sandbox, HA, "=Hà"),  # a name Excel must not take for a formula
        KHOA: SandboxUser(sandbox, KHOA, "Khoa", "khoa_media"),
        QUAN: SandboxUser(sandbox, QUAN, "Quân", "quan_media"),
    }
    try:
        await app.join(users[TUAN], Role.MANAGER, "growth")
        await app.join(users[MINH], Role.STAFF, "growth", ("HS-SHOPEE",))
        await app.join(users[HA], Role.STAFF, "growth", ("HS-TIKTOK",))
        await app.join(users[KHOA], Role.MANAGER, "media")
        await app.join(users[QUAN], Role.STAFF, "media")
        await add_target(app, MINH, "gmv", 300_000_000)
        await add_target(app, QUAN, "videos", 40)
        yield users
    finally:
        for user in users.values():
            user.close()


async def test_people_sheet_round_trip_writes_exactly_what_was_filled_in(
    app: BotUnderTest, team: dict[int, SandboxUser]
) -> None:
    tuan = team[TUAN]
    document, book = await template(tuan)
    assert "7 gian hàng" in document.text and "2 người" in document.text
    assert book.sheetnames == ["Kế hoạch", "Trọng số ngày", SHEET, "Hướng dẫn"]
    rows = people_rows(book)
    # Store owners of Growth, with the plan metrics their stores report; Hà by Telegram id.
    assert [(r[0], r[1], r[2], r[4]) for r in rows] == [
        *[(str(HA), " =Hà", key, "2026-12") for key in GROWTH_METRICS],
        *[("@minh_hs", "Minh", key, "2026-12") for key in GROWTH_METRICS],
    ]
    assert {(r[0], r[2]): r[5] for r in rows if r[5] is not None} == {
        ("@minh_hs", "gmv"): 300_000_000
    }
    assert rows[0][3] == "Doanh thu (GMV)"
    help_text = "\n".join(str(r[0]) for r in book["Hướng dẫn"].iter_rows(values_only=True))
    assert "Trang «Mục tiêu cá nhân»" in help_text and "@username" in help_text

    # Sent back unchanged: nothing to change, nothing written.
    before = await targets(app)
    same = await send_back(tuan, document.data or b"")
    assert "giống hệt" in same and "Giữ nguyên: 1" in same, same
    assert await targets(app) == before and await revision_count(app) == 0

    # Filled in: Minh's GMV changed, his orders and Hà's traffic new.
    sheet = book[SHEET]
    filled: dict[tuple[str, str], Any] = {
        ("@minh_hs", "gmv"): "350tr",
        ("@minh_hs", "orders"): 2000,
        (str(HA), "traffic"): "5.000",
    }
    for row in sheet.iter_rows(min_row=2):
        value = filled.get((row[0].value, row[2].value))
        if value is not None:
            row[5].value = value
    content = saved(book)
    preview = await send_back(tuan, content)
    assert "Mới: 2 · Thay đổi: 1" in preview, preview
    await tuan.press("✅ Xác nhận")
    assert "Đã lưu kế hoạch" in (await tuan.next_message()).text
    assert await targets(app) == {
        ("minh_hs", "gmv", "2026-12"): 350_000_000,
        ("minh_hs", "orders", "2026-12"): 2000,
        (str(HA), "traffic", "2026-12"): 5000,
        ("quan_media", "videos", "2026-12"): 40,  # outside Tuấn's scope: untouched
    }
    assert await revision_count(app) == 3
    async with app.db.session_factory() as session:
        assert (await session.scalars(select(Plan))).all() == []  # empty plan rows: skipped

    # The same file once more: nothing changes.
    again = await send_back(tuan, content)
    assert "giống hệt" in again and "Giữ nguyên: 3" in again, again
    assert await revision_count(app) == 3

    # The next template carries what was written.
    _, fresh = await template(tuan)
    assert {(r[0], r[2]): r[5] for r in people_rows(fresh) if r[5] is not None} == {
        ("@minh_hs", "gmv"): 350_000_000,
        ("@minh_hs", "orders"): 2000,
        (str(HA), "traffic"): 5000,
    }


async def test_a_person_level_manager_gets_their_people_only(
    app: BotUnderTest, team: dict[int, SandboxUser]
) -> None:
    """Media reports per person: its manager (no stores) gets the template for his people,
    himself included; Growth's people are outside his scope."""
    khoa = team[KHOA]
    document, book = await template(khoa)
    assert "0 gian hàng" in document.text and "2 người" in document.text
    assert people_rows(book) == [
        ("@khoa_media", "Khoa", "videos", "Video đã đăng", "2026-12", None),
        ("@quan_media", "Quân", "videos", "Video đã đăng", "2026-12", 40),
    ]
    assert list(book["Kế hoạch"].iter_rows(values_only=True))[1:] == []

    book[SHEET].cell(row=2, column=6, value=30)  # Khoa's own target
    preview = await send_back(khoa, saved(book))
    assert "Mới: 1 · Thay đổi: 0 · Giữ nguyên: 1" in preview, preview
    await khoa.press("✅ Xác nhận")
    await khoa.next_message()
    assert (await targets(app))[("khoa_media", "videos", "2026-12")] == 30
    assert (await targets(app))[("minh_hs", "gmv", "2026-12")] == 300_000_000
