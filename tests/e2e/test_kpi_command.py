"""/kpi, /me and /dept end to end: chart photos, captions matching the seeded data, buttons,
scope refusals, typo search, and the text fallback when drawing fails."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from support.bot_harness import BotUnderTest, forge_callback

from bot.charts import run as chart_run
from bot.demo.kpi_data import write_plan, write_report
from bot.roles import Role
from bot.sandbox.client import SandboxUser
from bot.views.kpi_buttons import KpiCallback
from storage.repositories import catalog

# The harness clock is 2026-11-21 09:00 in Ho Chi Minh City: the latest due report is 20/11.
MISSING = {7, 13}
DAILY_GMV = 10_000_000
PNG = b"\x89PNG"


async def seed_store(app: BotUnderTest, code: str, gmv_plan: float = 600_000_000) -> int:
    """1-20 Nov reported except the 7th and 13th: GMV 10tr a day, 50 orders; plan 600tr."""
    async with app.db.session_factory() as session, session.begin():
        store = await catalog.get_store_by_code(session, code)
        assert store is not None
        for day_number in range(1, 21):
            if day_number in MISSING:
                continue
            day = date(2026, 11, day_number)
            values = {"gmv": DAILY_GMV, "orders": 50, "traffic": 2000}
            await write_report(
                session,
                subject_key=f"store:{store.id}",
                store_id=store.id,
                form="growth",
                day=day,
                values=values,
                sent_at=datetime(2026, 11, day_number, 1, 0, tzinfo=UTC) + timedelta(days=1),
            )
        await write_plan(
            session,
            store_id=store.id,
            year=2026,
            month=11,
            targets={"gmv": gmv_plan, "orders": 3000},
            now=app.clock.now(),
        )
        return store.id


@pytest.fixture
async def tuan(app: BotUnderTest, user_factory) -> SandboxUser:
    user = user_factory(6001, "Tuấn")
    await app.join(user, Role.MANAGER, "growth")
    return user


@pytest.fixture
async def hanh(app: BotUnderTest, user_factory) -> SandboxUser:
    user = user_factory(6002, "Hạnh")
    await app.join(user, Role.STAFF, "growth", ("HS-TIKTOK",))
    return user


async def test_store_kpi_photo_caption_matches_seeded_numbers(
    app: BotUnderTest, tuan: SandboxUser
) -> None:
    await seed_store(app, "HS-SHOPEE")
    await tuan.send("/kpi HS-SHOPEE")
    photo = await tuan.next_photo()
    assert photo.data is not None and photo.data.startswith(PNG)
    caption = photo.text
    assert len(caption) <= 1024
    assert "HS-SHOPEE" in caption
    assert "180tr" in caption and "600tr" in caption  # 18 reported days x 10tr / plan
    assert "(30%)" in caption  # attainment of the month plan
    assert "50%" in caption  # pacing: 180tr against the plan of the 18 reported days
    assert "300tr" in caption  # forecast: 180tr + 12 unreported days x 20tr x 50%
    assert "42tr" in caption  # (600tr - 180tr) / 10 remaining days
    assert "07/11" in caption and "13/11" in caption  # missing days named, not zero
    assert "• Tháng" in photo.button_texts and "Tuần" in photo.button_texts


async def test_week_button_switches_period(app: BotUnderTest, tuan: SandboxUser) -> None:
    await seed_store(app, "HS-SHOPEE")
    await tuan.send("/kpi HS-SHOPEE")
    month = await tuan.next_photo()
    await tuan.press("Tuần", message=month)
    week = await tuan.next_photo()
    # Week of Mon 16/11 to Sun 22/11, elapsed to 20/11: five days of 10tr.
    assert "16/11–22/11" in week.text and "50tr" in week.text
    assert "• Tuần" in week.button_texts


async def test_brand_drills_down_to_its_stores_and_back(
    app: BotUnderTest, tuan: SandboxUser
) -> None:
    await seed_store(app, "HS-SHOPEE")
    await seed_store(app, "HS-TIKTOK", gmv_plan=300_000_000)
    await tuan.send("/kpi HS")
    brand = await tuan.next_photo()
    assert "Mỹ Phẩm Hoa Sen" in brand.text
    assert "360tr" in brand.text and "900tr" in brand.text  # sums of both stores
    assert {"🏪 HS-SHOPEE", "🏪 HS-TIKTOK"} <= set(brand.button_texts)
    await tuan.press("🏪 HS-TIKTOK", message=brand)
    store = await tuan.next_photo()
    assert "HS-TIKTOK" in store.text and "300tr" in store.text
    await tuan.press("⬅️ Quay lại", message=store)
    back = await tuan.next_photo()
    assert "Mỹ Phẩm Hoa Sen" in back.text


async def test_all_drills_down_to_brands(app: BotUnderTest, tuan: SandboxUser) -> None:
    await seed_store(app, "HS-SHOPEE")
    await tuan.send("/kpi all")
    everything = await tuan.next_photo()
    assert "Tất cả gian hàng" in everything.text
    assert {"🏷 HS", "🏷 TTSG", "🏷 GDAP"} <= set(everything.button_texts)


async def test_typo_and_accent_free_search(app: BotUnderTest, tuan: SandboxUser) -> None:
    await seed_store(app, "HS-SHOPEE")
    await tuan.send("/kpi my phamm")
    brand = await tuan.next_photo()
    assert "Mỹ Phẩm Hoa Sen" in brand.text


async def test_several_matches_offer_buttons(app: BotUnderTest, tuan: SandboxUser) -> None:
    await seed_store(app, "HS-SHOPEE")
    await tuan.send("/kpi hoa sen")
    choice = await tuan.next_message()
    assert "Có nhiều kết quả" in choice.text
    assert any("HS-SHOPEE" in text for text in choice.button_texts)
    assert any(text.startswith("HS ·") for text in choice.button_texts)
    await tuan.press(next(t for t in choice.button_texts if "HS-SHOPEE" in t), message=choice)
    assert "180tr" in (await tuan.next_photo()).text


async def test_out_of_scope_is_not_found_and_forged_button_refused(
    app: BotUnderTest, hanh: SandboxUser
) -> None:
    shopee_id = await seed_store(app, "HS-SHOPEE")
    await seed_store(app, "HS-TIKTOK")
    for query in ("/kpi HS-SHOPEE", "/kpi hoa sen official"):
        await hanh.send(query)
        refusal = await hanh.next_message()
        assert "Không tìm thấy" in refusal.text and "Official" not in refusal.text
    await hanh.send("/kpi hoa sen")  # her brand and her store match; the other store is unseen
    choice = await hanh.next_message()
    assert not any("SHOPEE" in text or "Official" in text for text in choice.button_texts)
    await hanh.press("HS · Mỹ Phẩm Hoa Sen", message=choice)
    own = await hanh.next_photo()
    assert "🏪 HS-TIKTOK" in own.button_texts and "HS-SHOPEE" not in own.text
    assert "🏪 HS-SHOPEE" not in own.button_texts
    assert "180tr" in own.text  # the brand as she sees it: her store only
    assert own.message_id is not None
    hanh.drain()  # the toast of her own press
    forge_callback(app.sandbox, hanh, own.message_id, KpiCallback(v="s", i=shopee_id, p="m").pack())
    answer = await hanh.next_callback_answer()
    assert "không còn hợp lệ" in answer.text
    await hanh.assert_no_output(kinds=("photo", "message"))


async def test_empty_and_future_periods_answer_with_an_example(
    app: BotUnderTest, tuan: SandboxUser
) -> None:
    await seed_store(app, "HS-SHOPEE")
    await tuan.send("/kpi HS-SHOPEE 2026-09")
    empty = await tuan.next_message()
    assert "Chưa có báo cáo" in empty.text and "/kpi" in empty.text
    await tuan.send("/kpi HS-SHOPEE 2027-01")
    future = await tuan.next_message()
    assert "chưa bắt đầu" in future.text and "/kpi HS-SHOPEE 2026-11" in future.text
    await tuan.send("/kpi HS-SHOPEE 2026-13")
    bad = await tuan.next_message()
    assert "2026-13" in bad.text and "YYYY-MM" in bad.text


async def test_render_failure_still_sends_the_summary(
    app: BotUnderTest, tuan: SandboxUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed_store(app, "HS-SHOPEE")

    async def broken(kind: str, data: object) -> bytes:
        raise RuntimeError("no fonts today")

    monkeypatch.setattr(chart_run, "render", broken)
    await tuan.send("/kpi HS-SHOPEE")
    text = await tuan.next_message()
    assert "180tr" in text.text and "600tr" in text.text
    assert "không vẽ được" in text.text
    assert "Tuần" in text.button_texts


async def test_kpi_without_argument_lists_what_the_member_may_see(
    app: BotUnderTest, hanh: SandboxUser
) -> None:
    await hanh.send("/kpi")
    pick = await hanh.next_message()
    assert "🏪 HS-TIKTOK" in pick.button_texts
    assert "🏪 HS-SHOPEE" not in pick.button_texts
    assert not any("TTSG" in text for text in pick.button_texts)


async def test_me_shows_punctuality(app: BotUnderTest, hanh: SandboxUser) -> None:
    await seed_store(app, "HS-TIKTOK")
    await hanh.send("/me")
    photo = await hanh.next_photo()
    assert photo.data is not None and photo.data.startswith(PNG)
    # 18 reports sent at 08:00 the next morning (before 10:30), two days never reported.
    assert "18 đúng hạn" in photo.text and "0 trễ" in photo.text and "2 thiếu" in photo.text


async def test_dept_for_a_manager_and_refused_for_staff(
    app: BotUnderTest, tuan: SandboxUser, hanh: SandboxUser
) -> None:
    await seed_store(app, "HS-SHOPEE")
    await tuan.send("/dept")
    photo = await tuan.next_photo()
    assert "Tăng trưởng" in photo.text and "180tr" in photo.text
    await tuan.send("/dept livestream")
    refusal = await tuan.next_message()
    assert "Không tìm thấy phòng ban" in refusal.text
    await hanh.send("/dept growth")
    assert "Tăng trưởng" not in (await hanh.next_message()).text
