"""/campaign new end to end: every question, refusals with an example that lose nothing,
Edit from the summary, Create; /cancel; staff refused; /campaign lists it afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
from sqlalchemy import select
from support.bot_harness import BotUnderTest

from bot.roles import Role
from bot.sandbox.client import SandboxUser
from bot.sandbox.server import SandboxServer
from storage.models import Campaign, Member
from storage.repositories import catalog


async def say(user: SandboxUser, text: str) -> str:
    await user.send(text)
    return (await user.next_message()).text


async def campaigns(app: BotUnderTest) -> dict[str, Campaign]:
    async with app.db.session_factory() as session:
        rows = (await session.scalars(select(Campaign))).all()
        return {row.code: row for row in rows}


@pytest.fixture
async def tuan(app: BotUnderTest, sandbox: SandboxServer) -> AsyncIterator[SandboxUser]:
    user = SandboxUser(sandbox, 6101, "Tuấn", "tuan_growth")
    await app.join(user, Role.MANAGER, "growth")
    yield user
    user.close()


async def test_manager_creates_a_campaign_through_the_form(
    app: BotUnderTest, tuan: SandboxUser
) -> None:
    first = await say(tuan, "/campaign new")
    assert "(1/7)" in first and "Mã chiến dịch" in first and "HS1212" in first

    # A code already used by the org file is refused, with an example.
    refused = await say(tuan, "BF-TTSG")
    assert "đã có chiến dịch khác dùng" in refused and "HS1212" in refused
    assert "(2/7)" in await say(tuan, "NOEL-HS")
    # A command wins over the form, which waits where it was.
    await tuan.send("/campaign")
    listing = (await tuan.next_message()).text
    assert "12.12 Hoa Sen" in listing
    assert "tạo chiến dịch" in (await tuan.next_message()).text  # how to go on
    assert "(3/7)" in await say(tuan, "Noel Hoa Sen")

    # A bad date: a clear message with an example; the answers so far stay.
    bad_date = await say(tuan, "32/12")
    assert "Không đọc được ngày" in bad_date and "1/12-12/12" in bad_date
    backwards = await say(tuan, "25/12-20/12/2026")
    assert "đứng trước ngày bắt đầu" in backwards
    cover_question = await say(tuan, "20/12-25/12")
    assert "(4/7)" in cover_question and "HS-SHOPEE" in cover_question

    assert "Không thấy «ABC»" in await say(tuan, "HS-SHOPEE, ABC")
    assert "(5/7)" in await say(tuan, "hs")  # a brand, without accents or case

    bad_number = await say(tuan, "năm chục")
    assert "không phải là số tiền hợp lệ" in bad_number and "50tr" in bad_number
    assert "(6/7)" in await say(tuan, "1,2 tỷ")

    assert "Không có chỉ số «doanh số ảo»" in await say(tuan, "doanh số ảo 3 tỷ")
    assert "(7/7)" in await say(tuan, "gmv 2 tỷ, orders 5.000")

    assert "Không tìm thấy thành viên «nobody»" in await say(tuan, "@nobody")
    summary = await say(tuan, "@tuan_growth")
    assert "Kiểm tra chiến dịch" in summary and "NOEL-HS" in summary
    assert "1,2 tỷ" in summary and "20/12–25/12/2026" in summary and "@tuan_growth" in summary

    # Edit one answer from the summary: its question, then straight back to the summary.
    await tuan.press("✏️ Ngân sách")
    assert "(5/7)" in (await tuan.next_message()).text
    await tuan.send("80tr")
    summary = (await tuan.next_message()).text
    assert "Kiểm tra chiến dịch" in summary and "80tr" in summary
    assert "NOEL-HS" not in await campaigns(app)

    await tuan.press("✅ Tạo chiến dịch")
    created = (await tuan.next_message()).text
    assert "Đã tạo chiến dịch" in created and "/kpi NOEL-HS" in created
    row = (await campaigns(app))["NOEL-HS"]
    assert (row.start_date, row.end_date) == (date(2026, 12, 20), date(2026, 12, 25))
    assert row.brand_codes == ["HS"] and row.store_codes == []
    assert row.budget == 80_000_000
    assert row.targets == {"gmv": 2_000_000_000, "orders": 5000}
    assert row.owners == ["@tuan_growth"] and row.source == "chat"

    listing = await say(tuan, "/campaign")
    assert "Noel Hoa Sen" in listing and "NOEL-HS" in listing
    assert "12.12 Hoa Sen" in listing  # from the org file, coming
    assert "bắt đầu sau" in listing


async def test_cancel_and_staff_refusal(app: BotUnderTest, tuan: SandboxUser, user_factory) -> None:
    await say(tuan, "/campaign new")
    await say(tuan, "XMAS")
    cancelled = await say(tuan, "/cancel")
    assert cancelled
    # Nothing waits any more: a plain text is not taken as the campaign's name.
    after = await say(tuan, "Giáng sinh")
    assert "(3/7)" not in after
    assert "XMAS" not in await campaigns(app)

    staff = user_factory(6102, "Hạnh")
    await app.join(staff, Role.STAFF, "growth", ("HS-TIKTOK",))
    assert "Chỉ quản lý hoặc quản trị viên" in await say(staff, "/campaign new")


async def test_skip_optional_questions(app: BotUnderTest, tuan: SandboxUser) -> None:
    await say(tuan, "/campaign new")
    for answer in ("Q1-WEEK", "Tuần lễ Q1", "1/12-7/12", "TTSG-Q1"):
        await say(tuan, answer)
    await tuan.press("⏭ Bỏ qua")
    assert "(6/7)" in (await tuan.next_message()).text
    await tuan.send("gmv 300tr")
    await tuan.next_message()
    await tuan.press("⏭ Bỏ qua")
    summary = (await tuan.next_message()).text
    assert "Ngân sách: —" in summary and "Phụ trách: —" in summary
    await tuan.press("✅ Tạo chiến dịch")
    assert "Đã tạo chiến dịch" in (await tuan.next_message()).text
    row = (await campaigns(app))["Q1-WEEK"]
    assert row.budget is None and row.owners == [] and row.store_codes == ["TTSG-Q1"]


async def test_create_checks_the_scope_again(app: BotUnderTest, tuan: SandboxUser) -> None:
    """Stores answered earlier that left the manager's scope since are asked again at Create."""
    await say(tuan, "/campaign new")
    for answer in ("MOVE-1", "Chuyển phòng", "1/12-7/12", "HS-SHOPEE"):
        await say(tuan, answer)
    await tuan.press("⏭ Bỏ qua")
    await tuan.next_message()
    await tuan.send("gmv 300tr")
    await tuan.next_message()
    await tuan.press("⏭ Bỏ qua")
    assert "Kiểm tra chiến dịch" in (await tuan.next_message()).text
    async with app.db.session_factory() as session, session.begin():
        member = await session.scalar(select(Member).where(Member.telegram_id == 6101))
        livestream = await catalog.get_department_by_code(session, "livestream")
        assert member is not None and livestream is not None
        member.department_id = livestream.id
    await tuan.press("✅ Tạo chiến dịch")
    refused = (await tuan.next_message()).text
    assert "Không thấy «HS-SHOPEE»" in refused
    assert "(4/7)" in (await tuan.next_message()).text
    assert "MOVE-1" not in await campaigns(app)
