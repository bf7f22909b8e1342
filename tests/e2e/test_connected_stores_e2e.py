"""Connected stores through the real bot: the owner of a store whose automatic data did not
arrive is reminded so and can type the numbers; ``/status`` says per store whether its numbers
came from chat, an import or the API."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from support.bot_harness import BotUnderTest
from support.outbox_delivery import deliver_outbox

from bot.org.connectors import Connected
from bot.org.sources import Sources
from bot.roles import Role
from jobs.runner import run_job
from jobs.table import default_handlers
from storage.models import Report, Store
from storage.repositories import reports

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = date(2026, 11, 20)
REMINDER_AT = datetime(2026, 11, 21, 10, 30, tzinfo=HCM)
FULL_REPORT = "gmv 12,5tr\nnmv 11tr\nđơn 85\nhủy 3\nhoàn 2\nlượt truy cập 3.200\nchi phí ads 1tr2"
VALUES = {"gmv": 12_500_000.0, "orders": 85.0}


async def connect(app: BotUnderTest) -> None:
    app.org = app.org.model_copy(
        update={
            "sources": Sources(
                connected=(
                    Connected(stores=("HS-TIKTOK",), source="import"),
                    Connected(
                        stores=("TTSG-SHOPEE", "TTSG-Q1", "GDAP-SHOPEE"),
                        source="api",
                        expected_by=time(10, 0),
                    ),
                )
            )
        }
    )
    await app.restart()


async def save(app: BotUnderTest, code: str, source: str, at: datetime) -> None:
    async with app.db.session_factory() as session, session.begin():
        store = await session.scalar(select(Store).where(Store.code == code))
        assert store is not None
        stored = await reports.load_report(session, f"store:{store.id}", "growth", DAY)
        await reports.save_report(
            session,
            subject_key=f"store:{store.id}",
            store_id=store.id,
            member_id=None,
            form="growth",
            business_date=DAY,
            values={**VALUES, "orders": VALUES["orders"] + (stored.revision if stored else 0)},
            expected_revision=stored.revision if stored else 0,
            actor_id=None,
            now=at,
            source=source,
            detail="orders.xlsx sha256:00" if source.startswith("import") else None,
        )


async def test_missing_automatic_data_is_reminded_and_typed(
    app: BotUnderTest, user_factory
) -> None:
    await connect(app)
    minh = user_factory(6102, "Minh")
    await app.join(minh, Role.STAFF, "growth", ("HS-SHOPEE", "GDAP-SHOPEE"))
    app.clock.set(REMINDER_AT)
    outcome = await run_job(
        app.db.session_factory, app.org, "reminder", REMINDER_AT, default_handlers()
    )
    assert outcome.status == "done"
    await deliver_outbox(app)
    reminder = await minh.next_message()
    assert "• HS-SHOPEE · " in reminder.text  # the typed store: today's text
    assert (
        "🤖 Dữ liệu tự động của GDAP-SHOPEE đến 10:00 vẫn chưa về — "
        "hãy gửi file xuất đơn hoặc nhập số liệu."
    ) in reminder.text
    assert reminder.button_texts == ["📝 GDAP-SHOPEE", "📝 HS-SHOPEE"]

    # Typing the numbers of the connected store works as for any store.
    await minh.press("📝 GDAP-SHOPEE", reminder)
    question = await minh.next_message()
    assert "GDAP-SHOPEE" in question.text and "20/11/2026" in question.text
    await minh.send(FULL_REPORT)
    assert "Tóm tắt" in (await minh.next_message()).text
    await minh.press("✅ Xác nhận")
    assert "Đã lưu" in (await minh.next_message()).text
    async with app.db.session_factory() as session:
        keys = set((await session.scalars(select(Report.subject_key))).all())
        gdap = await session.scalar(select(Store.id).where(Store.code == "GDAP-SHOPEE"))
    assert keys == {f"store:{gdap}"}


async def test_status_shows_where_each_stores_numbers_came_from(
    app: BotUnderTest, user_factory
) -> None:
    await connect(app)
    minh = user_factory(6102, "Minh")
    await app.join(minh, Role.STAFF, "growth", ("HS-SHOPEE",))
    tuan = user_factory(6101, "Tuấn")
    await app.join(tuan, Role.MANAGER, "growth")
    hoa = user_factory(6103, "Hoa", "en")
    await app.join(hoa, Role.MANAGER, "growth")

    await minh.send("/report")
    await minh.next_message()
    await minh.send(FULL_REPORT)
    await minh.next_message()
    await minh.press("✅ Xác nhận")
    assert "Đã lưu" in (await minh.next_message()).text
    early = datetime(2026, 11, 21, 7, 0, tzinfo=HCM)
    await save(app, "HS-TIKTOK", "import:shopee_vn", early)
    await save(app, "TTSG-SHOPEE", "api:n8n-shopee", early)
    await save(app, "TTSG-Q1", "api:n8n-pos", early)
    await save(app, "TTSG-Q1", "chat", early)  # corrected by hand since: the latest is chat

    await tuan.send("/status")
    status = (await tuan.next_message()).text
    lines = [line.strip() for line in status.splitlines()]
    assert "✅ HS-SHOPEE (Minh) · 💬 chat" in lines
    assert "✅ HS-TIKTOK · 📄 nhập file" in lines
    assert "✅ TTSG-SHOPEE · 🔌 API" in lines
    assert "✅ TTSG-Q1 · 💬 chat" in lines
    assert "❌ GDAP-SHOPEE · ⏳ chờ dữ liệu tự động (API)" in lines
    assert "❌ GDAP-TIKTOK" in lines  # typed and missing: as before

    await hoa.send("/status")
    english = [line.strip() for line in (await hoa.next_message()).text.splitlines()]
    assert "✅ HS-TIKTOK · 📄 import" in english
    assert "❌ GDAP-SHOPEE · ⏳ waiting for the automatic data (API)" in english
