"""The daily digest of 500 stores, end to end: the real job, the real sender, the sandbox that
refuses texts over 4096 characters and captions over 1024. Nothing is cut: every store with an
open alert is named, in order, over a chart with a short caption and follow-up messages."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from support.bot_harness import BotUnderTest
from support.outbox_delivery import deliver_outbox

from bot.domain.text_split import visible_length
from bot.org.sections import Store
from bot.org.sync import sync_org
from jobs.runner import run_job
from jobs.table import default_handlers
from storage.models import AlertState, OutboxMessage
from storage.models import Store as StoreRow

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
DIGEST_AT = datetime(2026, 11, 21, 11, 15, tzinfo=HCM)
BOD_CHAT = -1001000000001
STORES = 500


async def test_a_digest_of_500_stores_arrives_whole_in_order_within_telegram_s_limits(
    app: BotUnderTest,
) -> None:
    extra = tuple(
        Store(
            code=f"CH-{i:03d}",
            name=f"Cửa hàng {i}",
            brand="HS",
            platform="shopee",
            department="growth",
        )
        for i in range(STORES)
    )
    app.org = app.org.model_copy(update={"stores": (*app.org.stores, *extra)})
    app.sandbox.register_group(BOD_CHAT, "Ban giám đốc")
    app.clock.set(DIGEST_AT)
    async with app.db.session_factory() as session, session.begin():
        await sync_org(session, app.org)
        ids = await session.scalars(select(StoreRow.id).where(StoreRow.code.like("CH-%")))
        for store_id in ids:
            session.add(
                AlertState(
                    rule_id="gmv-pacing",
                    subject_key=f"store:{store_id}",
                    store_id=store_id,
                    period="2026-11",
                    severity="warning",
                    state="open",
                    notified_state="open",
                    detail={"metric": "gmv"},
                    opened_at=app.clock.now(),
                    updated_at=app.clock.now(),
                )
            )

    outcome = await run_job(
        app.db.session_factory, app.org, "daily_digest", DIGEST_AT, default_handlers()
    )
    assert outcome.status == "done", outcome.text
    report = await deliver_outbox(app)

    assert report.failed == 0 and report.sent == 1
    board = app.sandbox.messages(BOD_CHAT)
    photo, *follow_ups = board
    assert "photo" in photo and visible_length(photo["caption"]) <= 1024
    assert len(follow_ups) >= 4 and all(visible_length(m["text"]) <= 4096 for m in follow_ups)
    assert [m["message_id"] for m in board] == sorted(m["message_id"] for m in board)
    shown = "\n".join([photo["caption"], *(m["text"] for m in follow_ups)])
    named = [line.split()[1].rstrip(":") for line in shown.split("\n") if " CH-" in line]
    assert named == [f"CH-{i:03d}" for i in range(STORES)]  # every store, once, in order
    async with app.db.session_factory() as session:
        [row] = (await session.scalars(select(OutboxMessage))).all()
    assert row.parts_sent == len(board)
