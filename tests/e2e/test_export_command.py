"""/export end to end: the .xlsx a member receives matches the database, within their scope."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook
from support.bot_harness import BotUnderTest

from bot.roles import Role
from bot.sandbox.client import BotOutput, SandboxUser
from storage.models import Member, Plan
from storage.repositories import catalog
from storage.repositories.reports import save_report

NOVEMBER = [
    ("HS-SHOPEE", date(2026, 11, 1), {"gmv": 12_500_000, "orders": 85, "traffic": 3200}),
    ("HS-SHOPEE", date(2026, 11, 2), {"gmv": 10_000_000, "orders": 80, "traffic": 4000}),
    ("HS-TIKTOK", date(2026, 11, 1), {"gmv": 8_200_000, "orders": 61, "traffic": 2450}),
    ("TTSG-Q1", date(2026, 11, 20), {"gmv": 5_000_000, "orders": 20, "traffic": 100}),
]


async def seed(app: BotUnderTest) -> None:
    async with app.db.session_factory() as session, session.begin():
        for code, day, values in NOVEMBER:
            store = await catalog.get_store_by_code(session, code)
            assert store is not None
            await save_report(
                session,
                subject_key=f"store:{store.id}",
                store_id=store.id,
                member_id=None,
                form="growth",
                business_date=day,
                values=values,
                expected_revision=0,
                actor_id=None,
                now=app.clock.now(),
                source="chat",
            )
        shopee = await catalog.get_store_by_code(session, "HS-SHOPEE")
        assert shopee is not None
        session.add(
            Plan(
                store_id=shopee.id,
                metric="gmv",
                month="2026-11",
                target=300_000_000,
                day_weights={"11": 3.0},
                updated_at=app.clock.now(),
            )
        )


async def received(user: SandboxUser, text: str) -> tuple[BotOutput, Workbook]:
    await user.send(text)
    document = await user.next_document()
    assert document.data is not None and document.file_name is not None
    return document, load_workbook(io.BytesIO(document.data))


@pytest.fixture
async def tuan(app: BotUnderTest, user_factory) -> SandboxUser:
    user = user_factory(7001, "Tuấn")
    await app.join(user, Role.MANAGER, "growth")
    return user


async def test_manager_export_matches_the_database(app: BotUnderTest, tuan: SandboxUser) -> None:
    await seed(app)
    document, book = await received(tuan, "/export")
    assert document.file_name == "opsbot-2026-11.xlsx"
    assert "11/2026" in document.text
    assert book.sheetnames == ["Số liệu ngày", "Kế hoạch & thực hiện", "Lịch sử số liệu"]

    daily = book["Số liệu ngày"]
    header = [c.value for c in daily[1]]
    assert header[:4] == ["Ngày", "Cửa hàng", "Tên cửa hàng", "Thương hiệu"]
    rows = [dict(zip(header, r, strict=True)) for r in daily.iter_rows(min_row=2, values_only=True)]
    got = {(r["Cửa hàng"], r["Ngày"].date()): r for r in rows}
    assert len(got) == len(NOVEMBER)
    for code, day, values in NOVEMBER:
        row = got[(code, day)]
        assert row["Doanh thu (GMV)"] == values["gmv"]
        assert row["Đơn hàng"] == values["orders"]
        assert row["Lượt truy cập"] == values["traffic"]
        assert row["Doanh thu thuần (NMV)"] is None  # not reported: empty, not zero
        assert row["Giá trị đơn trung bình"] == pytest.approx(values["gmv"] / values["orders"])
        assert row["Tỉ lệ chuyển đổi"] == pytest.approx(values["orders"] / values["traffic"])
    assert daily.freeze_panes == "A2" and daily.auto_filter.ref is not None
    gmv_column = header.index("Doanh thu (GMV)") + 1
    assert daily.cell(row=2, column=gmv_column).number_format == "#,##0"

    plan = book["Kế hoạch & thực hiện"]
    plan_header = [c.value for c in plan[1]]
    plan_rows = [
        dict(zip(plan_header, r, strict=True)) for r in plan.iter_rows(min_row=2, values_only=True)
    ]
    shopee_gmv = next(
        r for r in plan_rows if r["Cửa hàng"] == "HS-SHOPEE" and r["Chỉ số"] == "Doanh thu (GMV)"
    )
    # Through 20/11 (the latest reported day) of 30 days where the 11th weighs 3: 22 of 32
    to_date = 300_000_000 * 22 / 32
    assert shopee_gmv["Mục tiêu tháng"] == 300_000_000
    assert shopee_gmv["Kế hoạch đến nay"] == pytest.approx(to_date)
    assert shopee_gmv["Thực hiện đến nay"] == 22_500_000
    assert shopee_gmv["% kế hoạch đến nay"] == pytest.approx(22_500_000 / to_date)
    assert shopee_gmv["% mục tiêu tháng"] == pytest.approx(0.075)
    assert shopee_gmv["Số ngày có báo cáo"] == 2
    column = plan_header.index("% mục tiêu tháng") + 1
    assert plan.cell(row=2, column=column).number_format == "0.0%"

    history = book["Lịch sử số liệu"]
    history_header = [c.value for c in history[1]]
    assert history_header[-2:] == ["Nguồn", "Chi tiết nguồn"]
    changes = [
        dict(zip(history_header, r, strict=True))
        for r in history.iter_rows(min_row=2, values_only=True)
    ]
    assert len(changes) == sum(len(values) for _, _, values in NOVEMBER)
    assert {(r["Cửa hàng / người"], r["Nguồn"], r["Bản"]) for r in changes} == {
        (code, "nhập tay", 1) for code, _, _ in NOVEMBER
    }


async def test_staff_export_holds_only_their_stores_and_output(
    app: BotUnderTest, user_factory
) -> None:
    await seed(app)
    minh = user_factory(7002, "Minh")
    await app.join(minh, Role.STAFF, "growth", ("HS-TIKTOK",))
    video = user_factory(7003, "Vy")
    await app.join(video, Role.STAFF, "media")
    vy = await app.member(7003)
    assert vy is not None
    async with app.db.session_factory() as session, session.begin():
        await save_report(
            session,
            subject_key=f"member:{vy.id}",
            store_id=None,
            member_id=vy.id,
            form="media",
            business_date=date(2026, 11, 3),
            values={"videos": 4},
            expected_revision=0,
            actor_id=vy.id,
            now=app.clock.now(),
            source="chat",
        )
    _, book = await received(minh, "/export 2026-11")
    codes = {r[1] for r in book["Số liệu ngày"].iter_rows(min_row=2, values_only=True)}
    assert codes == {"HS-TIKTOK"}
    assert "Theo người" not in book.sheetnames  # Minh has no person-level output
    subjects = {r[1] for r in book["Lịch sử số liệu"].iter_rows(min_row=2, values_only=True)}
    assert subjects == {"HS-TIKTOK"}

    _, own = await received(video, "/export 11/2026")
    assert own.sheetnames == ["Theo người", "Lịch sử số liệu"]
    people = list(own["Theo người"].iter_rows(values_only=True))
    assert people[1][1:] == ("Vy", "Media", 4)


async def test_future_empty_and_bad_months(app: BotUnderTest, tuan: SandboxUser) -> None:
    for text, expected in (
        ("/export 2027-01", "chưa bắt đầu"),
        ("/export 2026-09", "Chưa có số liệu hay kế hoạch nào trong tháng 09/2026"),
        ("/export tháng trước", "Chưa hiểu tháng"),
    ):
        await tuan.send(text)
        reply = await tuan.next_message()
        assert reply.kind == "message" and expected in reply.text, reply.text


async def test_export_in_english(app: BotUnderTest, user_factory) -> None:
    await seed(app)
    sam = user_factory(7004, "Sam", language="en")
    await app.join(sam, Role.BOD)
    async with app.db.session_factory() as session, session.begin():
        member = await session.get(Member, (await app.member(7004)).id)  # type: ignore[union-attr]
        assert member is not None
        member.locale = "en"
    document, book = await received(sam, "/export")
    assert document.file_name == "opsbot-2026-11.xlsx"
    assert book.sheetnames == ["Daily values", "Plan vs actual", "Value history"]
    stores = {r[1] for r in book["Daily values"].iter_rows(min_row=2, values_only=True)}
    assert stores == {"HS-SHOPEE", "HS-TIKTOK", "TTSG-Q1"}
    assert isinstance(book["Daily values"].cell(row=2, column=1).value, datetime)
