"""/kpi <campaign> and /campaign end to end: totals over the campaign's stores and days only,
matching an independent sum; the staff view of their part; refused exactly like an unknown
code when none of it is theirs; on both database backends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from support.bot_harness import BotUnderTest, forge_callback

from bot.demo.kpi_data import write_report
from bot.domain.campaigns import CampaignInfo
from bot.roles import Role
from bot.sandbox.client import SandboxUser
from bot.services import campaigns as service
from bot.views.kpi_buttons import KpiCallback
from storage.repositories import campaigns as repo
from storage.repositories import catalog
from storage.repositories.campaigns import CampaignFields

PNG = b"\x89PNG"
# The harness clock is 2026-11-21 09:00 in Ho Chi Minh City: numbers run to 20/11.
START, END = date(2026, 11, 10), date(2026, 11, 25)
GMV = {"HS-SHOPEE": 10_000_000, "TTSG-SHOPEE": 5_000_000, "GDAP-SHOPEE": 7_000_000}


async def seed(app: BotUnderTest) -> list[tuple[str, date, dict[str, float]]]:
    """5-20 Nov for three stores (one outside the campaign, five days before it), and the
    campaign SALE11 on HS-SHOPEE and TTSG-SHOPEE from 10 to 25 Nov."""
    written = []
    async with app.db.session_factory() as session, session.begin():
        for code, gmv in GMV.items():
            store = await catalog.get_store_by_code(session, code)
            assert store is not None
            for day_number in range(5, 21):
                day = date(2026, 11, day_number)
                values: dict[str, float] = {"gmv": gmv, "orders": 50, "ads_cost": 1_000_000}
                await write_report(
                    session,
                    subject_key=f"store:{store.id}",
                    store_id=store.id,
                    form="growth",
                    day=day,
                    values=values,
                    sent_at=datetime(2026, 11, day_number, 2, 0, tzinfo=UTC) + timedelta(days=1),
                )
                written.append((code, day, dict(values)))
        fields = CampaignFields(
            code="SALE11",
            name="Siêu sale 11 Hoa Sen",
            start=START,
            end=END,
            store_codes=("HS-SHOPEE", "TTSG-SHOPEE"),
            budget=40_000_000,
            targets={"gmv": 500_000_000, "orders": 2000},
        )
        await repo.upsert(session, fields, source="chat", now=app.clock.now())
    return written


def independent_sum(
    written: list[tuple[str, date, dict[str, float]]], stores: set[str], metric: str
) -> float:
    return sum(
        values[metric]
        for code, day, values in written
        if code in stores and START <= day <= date(2026, 11, 20)
    )


async def test_totals_equal_an_independent_sum(app: BotUnderTest) -> None:
    written = await seed(app)
    async with app.db.session_factory() as session:
        (row,) = [r for r in await repo.list_active(session) if r.code == "SALE11"]
        stores = tuple(await catalog.list_stores(session))
        info: CampaignInfo = service.info_of(row, stores)
        totals = await service.campaign_totals(session, info, None, date(2026, 11, 20))
    covered = {"HS-SHOPEE", "TTSG-SHOPEE"}
    for metric in ("gmv", "orders", "ads_cost"):
        assert totals.totals[metric] == independent_sum(written, covered, metric)
    assert totals.totals["gmv"] == 11 * 15_000_000  # 10-20 Nov, two stores
    assert set(totals.by_store) == covered  # GDAP-SHOPEE is not counted
    assert min(totals.by_day) == START  # 5-9 Nov are not counted
    assert sum(v["gmv"] for v in totals.by_day.values()) == totals.totals["gmv"]


@pytest.fixture
async def board(app: BotUnderTest, user_factory) -> SandboxUser:
    user = user_factory(6201, "Sếp")
    await app.join(user, Role.BOD)
    return user


async def test_kpi_campaign_photo_and_caption(app: BotUnderTest, board: SandboxUser) -> None:
    await seed(app)
    await board.send("/kpi sieu sale 11")  # by name, without accents
    photo = await board.next_photo()
    assert photo.data is not None and photo.data.startswith(PNG)
    caption = photo.text
    assert "Siêu sale 11 Hoa Sen" in caption and "SALE11" in caption
    assert "đã qua 11/16 ngày" in caption and "còn 5 ngày" in caption
    assert "165tr / 500tr (33%)" in caption  # GMV: 11 days x (10tr + 5tr)
    assert "1.100 / 2.000 (55%)" in caption  # orders
    assert "22tr / ngân sách 40tr (55%)" in caption  # ads cost against the budget
    assert "ROAS: 7,5" in caption  # 165tr / 22tr
    assert "Chi phí / đơn: 20k" in caption  # 22tr / 1.100
    assert "phạm vi của bạn" not in caption

    listing = await say(board, "/campaign")
    assert "Siêu sale 11 Hoa Sen" in listing and "còn 5 ngày" in listing
    assert "165tr / 500tr (33%)" in listing


async def say(user: SandboxUser, text: str) -> str:
    await user.send(text)
    return (await user.next_message()).text


async def test_staff_sees_only_their_part_or_not_found(app: BotUnderTest, user_factory) -> None:
    await seed(app)
    hanh = user_factory(6202, "Hạnh")
    await app.join(hanh, Role.STAFF, "growth", ("HS-SHOPEE",))
    await hanh.send("/kpi SALE11")
    caption = (await hanh.next_photo()).text
    assert "110tr / 500tr (22%)" in caption  # HS-SHOPEE only
    assert "Chỉ gồm các gian hàng trong phạm vi của bạn" in caption

    binh = user_factory(6203, "Bình")
    await app.join(binh, Role.STAFF, "growth", ("HS-TIKTOK",))
    refused = await say(binh, "/kpi SALE11")
    unknown = await say(binh, "/kpi ZZZZ11")
    assert refused == unknown.replace("ZZZZ11", "SALE11")
    assert "SALE11" not in await say(binh, "/campaign")


async def test_several_matches_get_buttons_checked_on_arrival(
    app: BotUnderTest, board: SandboxUser, user_factory
) -> None:
    await seed(app)
    async with app.db.session_factory() as session, session.begin():
        fields = CampaignFields(
            code="SALE12",
            name="Siêu sale 12 Hoa Sen",
            start=START,
            end=END,
            store_codes=("TTSG-TIKTOK",),
            targets={"gmv": 100_000_000},
        )
        other, _ = await repo.upsert(session, fields, source="chat", now=app.clock.now())
    await board.send("/kpi sieu sale")
    pick = await board.next_message()
    assert "Có nhiều kết quả" in pick.text
    assert {b.split(" · ")[0] for b in pick.button_texts} == {"SALE11", "SALE12"}
    await board.press("SALE11 · Siêu sale 11 Hoa Sen", pick)
    assert "165tr / 500tr (33%)" in (await board.next_photo()).text

    # The same button pressed by staff who see none of SALE12's stores: refused.
    hanh = user_factory(6204, "Hạnh")
    await app.join(hanh, Role.STAFF, "growth", ("HS-SHOPEE",))
    await say(hanh, "/help")
    last = hanh.history[-1].message_id
    assert last is not None
    forge_callback(app.sandbox, hanh, last, KpiCallback(v="c", i=other.id).pack())
    assert "Nút này không còn hợp lệ" in (await hanh.next_callback_answer()).text
    await hanh.assert_no_output(within=0.2, kinds="photo")
