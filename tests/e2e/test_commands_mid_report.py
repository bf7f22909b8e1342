"""Commands win over the daily report form, at every step: the store pick, a question, the
outlier check, the summary and the edit pick. Each command runs and the form waits where it
was; the form then completes with every answer given before.

The harness clock is 2026-11-21 09:00 in Ho Chi Minh City: reports cover 2026-11-20.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from support.bot_harness import BotUnderTest
from support.mid_form import NOT_UNDERSTOOD, MidForm
from support.report_rows import add_store_report

from bot.roles import Role
from bot.sandbox.client import BotOutput, SandboxUser
from storage.models import DailyValue, Report, Store

SHOPEE = "▫️ HS-SHOPEE · Hoa Sen Official Store (Shopee)"
REST = "nmv 11tr\nđơn 85\nhủy 3\nhoàn 2\nlượt truy cập 3.200\nchi phí ads 1tr2"
FULL_REPORT = "gmv 12,5tr\n" + REST


async def values_of(
    app: BotUnderTest, store_code: str, day: date = date(2026, 11, 20)
) -> dict[str, float]:
    async with app.db.session_factory() as session:
        store = await session.scalar(select(Store).where(Store.code == store_code))
        assert store is not None
        rows = await session.execute(
            select(DailyValue.metric, DailyValue.value)
            .join(Report, Report.id == DailyValue.report_id)
            .where(Report.business_date == day, Report.subject_key == f"store:{store.id}")
        )
        return dict(rows.all())


@pytest.fixture
async def tuan(app: BotUnderTest, user_factory) -> SandboxUser:
    """A growth manager: reports for the department's stores (a store pick first)."""
    user = user_factory(8001, "Tuấn")
    await app.join(user, Role.MANAGER, "growth")
    return user


async def said(user: SandboxUser, text: str) -> BotOutput:
    await user.send(text)
    return await user.next_message()


async def open_store(user: SandboxUser) -> BotOutput:
    pick = await said(user, "/report")
    await user.press(SHOPEE, pick)
    await user.next_edit()
    question = await user.next_message()
    assert "(1/7)" in question.text
    return question


async def confirm(user: SandboxUser, summary: BotOutput) -> None:
    assert "Tóm tắt" in summary.text, summary.text
    await user.press("✅ Xác nhận", summary)
    assert "Đã lưu" in (await user.next_message()).text


async def test_at_the_store_pick(app: BotUnderTest, tuan: SandboxUser) -> None:
    pick = await said(tuan, "/report")
    await tuan.press("📅 19/11", pick)  # the day chosen so far must survive every command
    assert "19/11/2026" in (await tuan.next_edit()).text
    form = MidForm(app, tuan, "chọn gian hàng để báo cáo ngày 19/11 — chọn gian hàng bằng")
    await form.every_kind("growth")

    await tuan.press(SHOPEE, pick)
    await tuan.next_edit()
    question = await tuan.next_message()
    assert "19/11/2026" in question.text and "(1/7)" in question.text
    await confirm(tuan, await said(tuan, FULL_REPORT))
    assert (await values_of(app, "HS-SHOPEE", date(2026, 11, 19)))["orders"] == 85


async def test_at_a_question(app: BotUnderTest, tuan: SandboxUser) -> None:
    await open_store(tuan)
    assert "(2/7)" in (await said(tuan, "12,5tr")).text
    form = MidForm(app, tuan, "điền báo cáo HS-SHOPEE · 20/11 — trả lời câu hỏi ở trên")
    await form.every_kind("growth")

    assert "(3/7)" in (await said(tuan, "11tr")).text  # the same question was still open
    await confirm(tuan, await said(tuan, REST))
    values = await values_of(app, "HS-SHOPEE")
    assert values["gmv"] == 12_500_000 and values["nmv"] == 11_000_000


async def test_at_the_outlier_check(app: BotUnderTest, tuan: SandboxUser) -> None:
    async with app.db.session_factory() as session, session.begin():
        for day in range(14, 20):  # a usual GMV of 1tr
            await add_store_report(session, "HS-SHOPEE", date(2026, 11, day), app.clock.now())
    await open_store(tuan)
    ask = await said(tuan, "20tr")
    assert "khác xa" in ask.text
    form = MidForm(app, tuan, "điền báo cáo HS-SHOPEE · 20/11 — chọn «Đúng, giữ số này»")
    await form.every_kind("growth")

    await tuan.press("✔️ Đúng, giữ số này", ask)
    moved_on = await tuan.next_message()
    assert "20.000.000 ₫" in moved_on.text and "(2/7)" in moved_on.text
    await confirm(tuan, await said(tuan, REST))
    assert (await values_of(app, "HS-SHOPEE"))["gmv"] == 20_000_000


async def test_at_the_summary(app: BotUnderTest, tuan: SandboxUser) -> None:
    await open_store(tuan)
    summary = await said(tuan, FULL_REPORT)
    form = MidForm(app, tuan, "điền báo cáo HS-SHOPEE · 20/11 — dùng các nút dưới bản tóm tắt")
    await form.every_kind("growth")

    await confirm(tuan, summary)
    assert (await values_of(app, "HS-SHOPEE"))["ads_cost"] == 1_200_000


async def test_at_the_edit_pick(app: BotUnderTest, tuan: SandboxUser) -> None:
    await open_store(tuan)
    summary = await said(tuan, FULL_REPORT)
    await tuan.press("✏️ Sửa", summary)
    edit = await tuan.next_message()
    assert "Đơn hàng" in edit.button_texts
    form = MidForm(app, tuan, "điền báo cáo HS-SHOPEE · 20/11 — chọn mục cần sửa ở trên")
    await form.every_kind("growth")

    await tuan.press("Đơn hàng", edit)
    assert "85" in (await tuan.next_message()).text  # the current value is shown
    await confirm(tuan, await said(tuan, "90"))
    values = await values_of(app, "HS-SHOPEE")
    assert values["orders"] == 90 and values["gmv"] == 12_500_000


async def test_a_command_the_role_may_not_use_is_not_understood_as_anywhere(
    app: BotUnderTest, user_factory
) -> None:
    minh = user_factory(8002, "Minh")
    await app.join(minh, Role.STAFF, "growth", ("HS-SHOPEE",))
    outside = await said(minh, "/status")
    assert NOT_UNDERSTOOD[0] in outside.text
    assert "(1/7)" in (await said(minh, "/report")).text
    assert "(2/7)" in (await said(minh, "12,5tr")).text
    form = MidForm(app, minh, "điền báo cáo HS-SHOPEE · 20/11 — trả lời câu hỏi ở trên")
    for text in ("/status", "/dept", "/plan HS-SHOPEE", "/invite", "/invite staff growth"):
        reply = await form.command(text, NOT_UNDERSTOOD)
        assert reply.text == outside.text  # the same answer as outside the form
    await confirm(minh, await said(minh, REST))
    assert (await values_of(app, "HS-SHOPEE"))["gmv"] == 12_500_000


async def test_english_member_is_told_how_to_go_on_in_english(
    app: BotUnderTest, user_factory
) -> None:
    sam = user_factory(8003, "Sam", language="en")
    await app.join(sam, Role.STAFF, "growth", ("HS-SHOPEE",))
    await said(sam, "/report")
    await sam.send("/orders")
    await sam.next_message()
    line = (await sam.next_message()).text
    assert line == (
        "↪️ You are still filling in the report for HS-SHOPEE · 20/11 — answer the question "
        "above, or /cancel to stop."
    )
    unknown = (await said(sam, "/repotr")).text
    assert "There is no command «/repotr»" in unknown and "for example /report" in unknown
