"""The daily report form, end to end: steps, one message, validation, revisions, restart."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from support.bot_harness import MODES, BotUnderTest

from bot.roles import Role
from bot.sandbox.client import SandboxUser
from storage.models import DailyValue, Member, Report, ValueRevision

# The harness clock is 2026-11-21 09:00 in Ho Chi Minh City: reports cover 2026-11-20.
DAY = date(2026, 11, 20)
FULL_REPORT = (
    "gmv 12,5tr\nnmv 11.000.000\nđơn 85\nhủy 3\nhoàn 2\nlượt truy cập 3.200\nchi phí ads 1tr2"
)


async def values_of(app: BotUnderTest, store_code: str, day: date = DAY) -> dict[str, float]:
    async with app.db.session_factory() as session:
        rows = await session.execute(
            select(DailyValue.metric, DailyValue.value)
            .join(Report, Report.id == DailyValue.report_id)
            .where(Report.business_date == day, Report.subject_key == await _key(app, store_code))
        )
        return dict(rows.all())


async def _key(app: BotUnderTest, store_code: str) -> str:
    from storage.models import Store

    async with app.db.session_factory() as session:
        store = await session.scalar(select(Store).where(Store.code == store_code))
        assert store is not None
        return f"store:{store.id}"


async def revisions_of(app: BotUnderTest) -> list[tuple[int, str, float | None, float | None]]:
    async with app.db.session_factory() as session:
        rows = await session.scalars(select(ValueRevision).order_by(ValueRevision.id))
        return [(r.revision, r.metric, r.old_value, r.new_value) for r in rows.all()]


@pytest.fixture
async def minh(app: BotUnderTest, user_factory) -> SandboxUser:
    user = user_factory(5001, "Minh")
    await app.join(user, Role.STAFF, "growth", ("HS-SHOPEE",))
    return user


async def answer(user: SandboxUser, text: str) -> str:
    await user.send(text)
    return (await user.next_message()).text


@pytest.mark.parametrize("bot_mode", MODES)
async def test_step_by_step_with_a_mistyped_value(app: BotUnderTest, minh: SandboxUser) -> None:
    first = await answer(minh, "/report")
    assert "HS-SHOPEE" in first and "20/11/2026" in first and "(1/7)" in first
    refusal = await answer(minh, "mười hai triệu")
    assert "Doanh thu (GMV)" in refusal and "Ví dụ" in refusal
    second = await answer(minh, "12,5tr")
    assert "12.500.000 ₫" in second and "(2/7)" in second
    for text in ("11tr", "85", "3", "2", "3.200", "1tr2"):
        reply = await answer(minh, text)
    assert "Tóm tắt" in reply
    assert "12.500.000 ₫" in reply and "1.200.000 ₫" in reply
    assert "ROAS" in reply  # derived metrics are shown
    await minh.press("✅ Xác nhận")
    receipt = await minh.next_message()
    assert "Đã lưu" in receipt.text
    assert await values_of(app, "HS-SHOPEE") == {
        "gmv": 12_500_000,
        "nmv": 11_000_000,
        "orders": 85,
        "cancelled": 3,
        "returned": 2,
        "traffic": 3200,
        "ads_cost": 1_200_000,
    }


async def test_one_message_report_then_one_tap(app: BotUnderTest, minh: SandboxUser) -> None:
    await answer(minh, "/report")
    summary = await answer(minh, FULL_REPORT)
    assert "Tóm tắt" in summary and "85" in summary
    await minh.press("✅ Xác nhận")
    assert "Đã lưu" in (await minh.next_message()).text
    assert (await values_of(app, "HS-SHOPEE"))["ads_cost"] == 1_200_000


async def test_partial_paste_names_unknown_lines_and_asks_the_rest(
    app: BotUnderTest, minh: SandboxUser
) -> None:
    await answer(minh, "/report")
    reply = await answer(minh, "gmv 12,5tr; don 85\nbanana 5")
    assert "12.500.000 ₫" in reply and "banana" in reply
    assert "Doanh thu thuần" in reply  # the next missing required field is asked


async def test_cross_field_rule_refuses_and_keeps_earlier_answers(
    app: BotUnderTest, minh: SandboxUser
) -> None:
    await answer(minh, "/report")
    await answer(minh, "12tr")
    refusal = await answer(minh, "13tr")  # NMV above GMV
    assert "Doanh thu thuần" in refusal or "NMV" in refusal
    reply = await answer(minh, "11tr")
    assert "Đơn hàng" in reply  # moved on, GMV still kept


async def test_back_skip_and_cancel_buttons(app: BotUnderTest, minh: SandboxUser) -> None:
    await answer(minh, "/report")
    await answer(minh, "12tr")
    await minh.press("⬅️ Quay lại")
    back = await minh.next_message()
    assert "(1/7)" in back.text and "12.000.000 ₫" in back.text  # current value shown
    assert "⏭ Bỏ qua" not in back.button_texts  # GMV is required: no Skip
    await minh.press("✖️ Huỷ", message=back)
    assert "Đã huỷ" in (await minh.next_message()).text
    assert await values_of(app, "HS-SHOPEE") == {}


async def test_correction_shows_changes_and_keeps_a_revision(
    app: BotUnderTest, minh: SandboxUser
) -> None:
    await answer(minh, "/report")
    await answer(minh, FULL_REPORT)
    await minh.press("✅ Xác nhận")
    await minh.next_message()

    await minh.send("/report")
    await minh.next_message()  # "already reported"
    summary = await minh.next_message()
    assert "12.500.000 ₫" in summary.text
    fixed = await answer(minh, "gmv 13tr")
    assert "13.000.000 ₫" in fixed and "12.500.000 ₫" in fixed  # old → new
    await minh.press("✅ Xác nhận")
    receipt = await minh.next_message()
    assert "bản sửa số 2" in receipt.text
    assert (await values_of(app, "HS-SHOPEE"))["gmv"] == 13_000_000
    assert (2, "gmv", 12_500_000, 13_000_000) in await revisions_of(app)

    await minh.send("/history HS-SHOPEE")
    history = (await minh.next_message()).text
    assert "bản 2" in history and "bản 1" in history and "Minh" in history


async def test_concurrent_change_is_not_overwritten(
    app: BotUnderTest, minh: SandboxUser, user_factory
) -> None:
    tuan = user_factory(5002, "Tuấn")
    await app.join(tuan, Role.MANAGER, "growth")
    await answer(minh, "/report")
    await answer(minh, FULL_REPORT)  # Minh is at the summary, not yet confirmed

    await tuan.send("/report")
    await tuan.next_message()
    await tuan.press("▫️ HS-SHOPEE · Hoa Sen Official Store (Shopee)")
    await tuan.next_edit()
    assert "(1/7)" in (await tuan.next_message()).text
    tuan_summary = await answer(tuan, FULL_REPORT.replace("12,5tr", "20tr"))
    assert "Tóm tắt" in tuan_summary, tuan_summary
    await tuan.press("✅ Xác nhận")
    await tuan.next_message()

    await minh.press("✅ Xác nhận")
    warning = await minh.next_message()
    assert "Tuấn" in warning.text
    summary = await minh.next_message()
    assert "20.000.000 ₫" in summary.text  # what Tuấn saved, shown as the old value
    assert (await values_of(app, "HS-SHOPEE"))["gmv"] == 20_000_000
    await minh.press("✅ Xác nhận", message=summary)
    assert "bản sửa số 2" in (await minh.next_message()).text
    assert (await values_of(app, "HS-SHOPEE"))["gmv"] == 12_500_000


async def test_outlier_asks_for_confirmation(app: BotUnderTest, minh: SandboxUser) -> None:
    for day in (14, 15, 16, 17, 18, 19):
        await answer(minh, f"/report {day}/11")
        await answer(minh, FULL_REPORT)
        await minh.press("✅ Xác nhận")
        await minh.next_message()
    await answer(minh, "/report")
    ask = await answer(minh, "125tr")  # 10× the usual GMV
    assert "khác xa" in ask
    await minh.press("✏️ Nhập lại")
    again = await minh.next_message()
    assert "(1/7)" in again.text
    await answer(minh, "125tr")
    await minh.press("✔️ Đúng, giữ số này")
    moved_on = await minh.next_message()
    assert "125.000.000 ₫" in moved_on.text and "(2/7)" in moved_on.text


async def test_dates_outside_the_window_are_refused(app: BotUnderTest, minh: SandboxUser) -> None:
    assert "quá cũ" in await answer(minh, "/report 2026-11-01")
    assert "Chưa thể" in await answer(minh, "/report 2026-11-25")
    assert "chưa hiểu ngày" in (await answer(minh, "/report hôm kia")).lower()


async def test_stale_buttons_change_nothing(
    app: BotUnderTest, minh: SandboxUser, user_factory
) -> None:
    await answer(minh, "/report")
    await minh.send(FULL_REPORT)
    summary = await minh.next_message()
    await minh.send("/cancel")
    await minh.next_message()
    await minh.press("✅ Xác nhận", message=summary)
    toast = await minh.next_callback_answer()
    assert "hết hiệu lực" in toast.text
    assert await values_of(app, "HS-SHOPEE") == {}


@pytest.mark.parametrize("bot_mode", MODES)
async def test_restart_mid_form_continues_at_the_same_question(
    app: BotUnderTest, minh: SandboxUser
) -> None:
    await answer(minh, "/report")
    await answer(minh, "12,5tr")
    await answer(minh, "11tr")
    await app.restart()
    reply = await answer(minh, "85")
    assert "(4/7)" in reply and "85" in reply
    for text in ("3", "2", "3.200", "1tr2"):
        reply = await answer(minh, text)
    await minh.press("✅ Xác nhận")
    await minh.next_message()
    assert (await values_of(app, "HS-SHOPEE"))["gmv"] == 12_500_000


async def test_status_shows_who_is_missing(
    app: BotUnderTest, minh: SandboxUser, user_factory
) -> None:
    await answer(minh, "/report")
    await answer(minh, FULL_REPORT)
    await minh.press("✅ Xác nhận")
    await minh.next_message()
    tuan = user_factory(5002, "Tuấn")
    await app.join(tuan, Role.MANAGER, "growth")
    status = await answer(tuan, "/status")
    assert "✅ HS-SHOPEE (Minh)" in status and "❌ HS-TIKTOK" in status
    assert "1/" in status
    assert "Tuấn" not in status.split("\n")[0]
    staff_try = await answer(minh, "/status")
    assert "HS-TIKTOK" not in staff_try


async def test_person_form_has_no_store_pick(app: BotUnderTest, user_factory) -> None:
    lan = user_factory(5003, "Lan")
    await app.join(lan, Role.STAFF, "media")
    first = await answer(lan, "/report")
    assert "Lan" in first and "(1/1)" in first
    summary = await answer(lan, "4")
    assert "Tóm tắt" in summary
    await lan.press("✅ Xác nhận")
    assert "Đã lưu" in (await lan.next_message()).text
    async with app.db.session_factory() as session:
        member = await session.scalar(select(Member).where(Member.telegram_id == 5003))
        assert member is not None
        report = await session.scalar(select(Report).where(Report.member_id == member.id))
        assert report is not None and report.subject_key == f"member:{member.id}"


BAD_ANSWERS = ["", "abc", "-5", "1.2.3", "12 13", "🙂", "x" * 80, "5 quả táo"]


async def test_a_bad_answer_at_every_step_is_refused_and_nothing_is_lost(
    app: BotUnderTest, minh: SandboxUser
) -> None:
    good = ["12,5tr", "11tr", "85 đơn", "3", "2", "3.200", "1tr2"]
    await answer(minh, "/report")
    for step, value in enumerate(good, start=1):
        bad = BAD_ANSWERS[step % len(BAD_ANSWERS)] or "không"
        refusal = await answer(minh, bad)
        assert "Ví dụ" in refusal, (step, bad, refusal)
        reply = await answer(minh, value)
        if step < len(good):
            assert f"({step + 1}/7)" in reply, (step, reply)
    assert "Tóm tắt" in reply and "85 đơn" in reply
    await minh.press("✅ Xác nhận")
    await minh.next_message()
    assert (await values_of(app, "HS-SHOPEE"))["orders"] == 85


async def test_buttons_of_another_members_form_change_nothing(
    app: BotUnderTest, minh: SandboxUser, user_factory
) -> None:
    from support.bot_harness import forge_callback

    hanh = user_factory(5004, "Hạnh")
    await app.join(hanh, Role.STAFF, "growth", ("HS-TIKTOK",))
    await answer(minh, "/report")
    summary_text = await answer(minh, FULL_REPORT)
    assert "Tóm tắt" in summary_text
    minh_summary = minh.last_message_with_buttons
    assert minh_summary is not None
    data = minh_summary.callback_data("✅ Xác nhận")
    assert data is not None

    await answer(hanh, "/report")  # Hạnh has her own form open
    hanh_question = hanh.last_message_with_buttons
    assert hanh_question is not None
    forge_callback(app.sandbox, hanh, hanh_question.message_id or 0, data)
    toast = await hanh.next_callback_answer()
    assert "hết hiệu lực" in toast.text
    assert await values_of(app, "HS-SHOPEE") == {}
    assert await values_of(app, "HS-TIKTOK") == {}


async def test_date_button_backfills_an_earlier_day(app: BotUnderTest, user_factory) -> None:
    an = user_factory(5005, "An")
    await app.join(an, Role.STAFF, "growth", ("HS-SHOPEE", "HS-TIKTOK"))
    pick = await an.send("/report")
    first = await an.next_message()
    assert "20/11/2026" in first.text and "📅 19/11" in first.button_texts
    assert pick
    await an.press("📅 19/11")
    moved = await an.next_edit()
    assert "19/11/2026" in moved.text and "📅 18/11" in moved.button_texts
    await an.press("▫️ HS-TIKTOK · Hoa Sen Beauty (TikTok Shop)")
    await an.next_edit()
    question = await an.next_message()
    assert "19/11/2026" in question.text
    await answer(an, FULL_REPORT)
    await an.press("✅ Xác nhận")
    await an.next_message()
    assert (await values_of(app, "HS-TIKTOK", date(2026, 11, 19)))["orders"] == 85


async def test_plan_gives_daily_target_hint_and_attainment(
    app: BotUnderTest, minh: SandboxUser
) -> None:
    from storage.models import Plan

    async with app.db.session_factory() as session, session.begin():
        store_key = await _key(app, "HS-SHOPEE")
        session.add(
            Plan(
                store_id=int(store_key.split(":")[1]),
                metric="gmv",
                month="2026-11",
                target=300_000_000,  # 30 days: 10tr a day, but 20/11 weighs double
                day_weights={"20": 2.0},
                updated_at=app.clock.now(),
            )
        )
    question = await answer(minh, "/report")
    # 300tr × 2 / 31 weighted days
    assert "Mục tiêu ngày: 19.354.839 ₫" in question
    summary = await answer(minh, FULL_REPORT + "\ngmv 13tr")
    assert "Nhập hai lần" in summary
    assert "13.000.000 ₫ / 19.354.839 ₫ (67%)" in summary


async def test_english_member_reports_in_english(app: BotUnderTest, user_factory) -> None:
    sam = user_factory(5006, "Sam", language="en")
    await app.join(sam, Role.STAFF, "growth", ("HS-SHOPEE",))
    question = await answer(sam, "/report")
    assert "GMV" in question and "(required)" in question and "For example" in question
    refusal = await answer(sam, "twelve million")
    assert "I did not understand the value for" in refusal
    echo = await answer(sam, "12.5m")
    assert "12,500,000 ₫" in echo and "Net merchandise value" in echo


async def test_a_command_mid_report_runs_and_the_form_waits(
    app: BotUnderTest, minh: SandboxUser
) -> None:
    """A command mid-report is never read as an answer: it runs, then the form goes on where it
    was (tests/e2e/test_commands_mid_report.py covers every step and every kind of command)."""
    await answer(minh, "/report")
    assert "Không có yêu cầu nào" in await answer(minh, "/orders")
    still = (await minh.next_message()).text
    assert "Bạn vẫn đang điền báo cáo HS-SHOPEE · 20/11" in still
    assert "trả lời câu hỏi ở trên" in still and "/cancel" in still
    assert "(2/7)" in await answer(minh, "12,5tr")
    await minh.send(FULL_REPORT)
    summary = await minh.next_message()
    assert "Tóm tắt" in summary.text
    assert "Không có yêu cầu nào" in await answer(minh, "/orders")
    assert "dùng các nút dưới bản tóm tắt" in (await minh.next_message()).text
    await minh.press("✅ Xác nhận", message=summary)
    assert "Đã lưu" in (await minh.next_message()).text
    assert (await values_of(app, "HS-SHOPEE"))["gmv"] == 12_500_000
