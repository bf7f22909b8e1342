"""/kpi shopee, /kpi tiktok, /kpi pos end to end: the platform's stores together with ROAS and
cost per order, matched without case or accents; a staff member sees only their stores' part,
and a platform none of whose stores is theirs is answered exactly like an unknown name."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from support.bot_harness import BotUnderTest, forge_callback

from bot.demo.kpi_data import write_plan, write_report
from bot.domain.channels import platform_id
from bot.roles import Role
from bot.sandbox.client import SandboxUser
from bot.views.kpi_buttons import KpiCallback
from storage.repositories import catalog

PNG = b"\x89PNG"


async def seed(app: BotUnderTest, code: str, gmv: float, ads_cost: float) -> None:
    """1-20 Nov: ``gmv`` a day, 50 orders, ``ads_cost``; a plan of 600tr."""
    async with app.db.session_factory() as session, session.begin():
        store = await catalog.get_store_by_code(session, code)
        assert store is not None
        for number in range(1, 21):
            await write_report(
                session,
                subject_key=f"store:{store.id}",
                store_id=store.id,
                form="growth",
                day=date(2026, 11, number),
                values={"gmv": gmv, "orders": 50, "traffic": 2000, "ads_cost": ads_cost},
                sent_at=datetime(2026, 11, number, 1, 0, tzinfo=UTC) + timedelta(days=1),
            )
        await write_plan(
            session, store_id=store.id, year=2026, month=11, targets={"gmv": 600e6},
            now=app.clock.now(),
        )  # fmt: skip


async def seed_all(app: BotUnderTest) -> None:
    await seed(app, "HS-SHOPEE", 10e6, 1e6)
    await seed(app, "TTSG-SHOPEE", 20e6, 4e6)
    await seed(app, "HS-TIKTOK", 5e6, 1e6)


async def test_channel_sums_its_stores_with_roas_and_cost_per_order(
    app: BotUnderTest, user_factory
) -> None:
    tuan = user_factory(6101, "Tuấn")
    await app.join(tuan, Role.MANAGER, "growth")
    await seed_all(app)
    await tuan.send("/kpi SHÓPEE")
    photo = await tuan.next_photo()
    assert photo.data is not None and photo.data.startswith(PNG)
    caption = photo.text
    assert "Kênh Shopee" in caption
    assert "600tr" in caption  # 20 days x (10tr + 20tr); HS-TIKTOK not counted
    assert "ROAS: 6" in caption  # 600tr / 100tr of ads
    assert "Chi phí QC/đơn: 50k" in caption  # 100tr / 2.000 orders
    assert {"🏪 HS-SHOPEE", "🏪 TTSG-SHOPEE"} <= set(photo.button_texts)
    assert "🏪 HS-TIKTOK" not in photo.button_texts
    await tuan.press("Tuần", message=photo)
    week = await tuan.next_photo()
    assert "Kênh Shopee" in week.text and "• Tuần" in week.button_texts
    await tuan.send("/kpi tik tok")
    tiktok = await tuan.next_photo()
    assert "Kênh TikTok Shop" in tiktok.text and "100tr" in tiktok.text
    assert "ROAS: 5" in tiktok.text


async def test_staff_sees_only_their_part_or_not_found(app: BotUnderTest, user_factory) -> None:
    hanh = user_factory(6102, "Hạnh")
    await app.join(hanh, Role.STAFF, "growth", ("HS-TIKTOK",))
    await seed_all(app)
    await seed(app, "GDAP-TIKTOK", 7e6, 1e6)
    await hanh.send("/kpi tiktok")
    own = await hanh.next_photo()
    assert "100tr" in own.text and "240tr" not in own.text  # her store only, not GDAP's 140tr
    assert "ROAS: 5" in own.text
    assert "🏪 HS-TIKTOK" in own.button_texts and "🏪 GDAP-TIKTOK" not in own.button_texts
    await hanh.send("/kpi zzqqxx")
    unknown = await hanh.next_message()
    await hanh.send("/kpi shopee")
    refusal = await hanh.next_message()
    assert refusal.text == unknown.text.replace("zzqqxx", "shopee")
    assert "Không tìm thấy" in refusal.text
    assert own.message_id is not None
    forged = KpiCallback(v="p", i=platform_id("shopee"), p="m").pack()
    forge_callback(app.sandbox, hanh, own.message_id, forged)
    answer = await hanh.next_callback_answer()
    assert "không còn hợp lệ" in answer.text
    await hanh.assert_no_output(kinds=("photo", "message"))


async def test_a_store_named_exactly_wins_over_the_channel(app: BotUnderTest, user_factory) -> None:
    tuan: SandboxUser = user_factory(6103, "Tuấn")
    await app.join(tuan, Role.MANAGER, "growth")
    await seed_all(app)
    await tuan.send("/kpi HS-SHOPEE")
    store = await tuan.next_photo()
    assert "HS-SHOPEE" in store.text and "Kênh" not in store.text
