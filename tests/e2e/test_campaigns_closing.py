"""A campaign that ends gets its closing summary to its owners and the board, through the
outbox, once: running the job again, or on the next day, queues nothing more."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from support.bot_harness import BotUnderTest
from support.outbox_delivery import deliver_outbox

from bot.demo.kpi_data import write_report
from bot.roles import Role
from bot.sandbox.client import SandboxUser
from jobs.campaign_jobs import closing
from jobs.runner import run_job
from jobs.table import default_handlers
from storage.models import OutboxMessage
from storage.repositories import campaigns as repo
from storage.repositories import catalog
from storage.repositories.campaigns import CampaignFields

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
BOARD_CHAT = -1001000000001  # chats.bod of the demo org file


async def seed(app: BotUnderTest) -> None:
    async with app.db.session_factory() as session, session.begin():
        store = await catalog.get_store_by_code(session, "HS-SHOPEE")
        assert store is not None
        for day_number in range(10, 21):
            await write_report(
                session,
                subject_key=f"store:{store.id}",
                store_id=store.id,
                form="growth",
                day=date(2026, 11, day_number),
                values={"gmv": 20_000_000, "orders": 100, "ads_cost": 2_000_000},
                sent_at=datetime(2026, 11, day_number, 2, 0, tzinfo=UTC) + timedelta(days=1),
            )
        for code, end in (("DONE", date(2026, 11, 20)), ("LATER", date(2026, 11, 25))):
            fields = CampaignFields(
                code=code,
                name=f"Sale {code}",
                start=date(2026, 11, 10),
                end=end,
                store_codes=("HS-SHOPEE",),
                budget=30_000_000,
                targets={"gmv": 200_000_000},
                owners=("@lan_hs", "@nobody_here"),
            )
            await repo.upsert(session, fields, source="chat", now=app.clock.now())


async def closing_rows(app: BotUnderTest) -> list[OutboxMessage]:
    async with app.db.session_factory() as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == "campaign_closing")
        return list((await session.scalars(query.order_by(OutboxMessage.id))).all())


async def test_closing_summary_sent_once(app: BotUnderTest, sandbox) -> None:
    lan = SandboxUser(sandbox, 6401, "Lan", "lan_hs")
    try:
        await app.join(lan, Role.MANAGER, "growth")
        await seed(app)
        at = datetime(2026, 11, 21, 9, 0, tzinfo=HCM)  # the harness clock: due now
        handlers = default_handlers()
        outcome = await run_job(app.db.session_factory, app.org, "campaign_closing", at, handlers)
        assert outcome.status == "done"
        rows = await closing_rows(app)
        assert sorted(r.chat_id for r in rows) == sorted([6401, BOARD_CHAT])
        assert all("DONE" in r.dedupe_key for r in rows)  # LATER is still running

        # Again in the same period, directly, and on the next day: nothing new.
        again = await run_job(app.db.session_factory, app.org, "campaign_closing", at, handlers)
        assert again.status != "done" or len(await closing_rows(app)) == 2
        async with app.db.session_factory() as session, session.begin():
            await closing(session, app.org, "2026-11-21", at)
        next_day = at + timedelta(days=1)
        await run_job(app.db.session_factory, app.org, "campaign_closing", next_day, handlers)
        assert len(await closing_rows(app)) == 2

        await deliver_outbox(app)
        summary = (await lan.next_message()).text
        assert "Tổng kết chiến dịch Sale DONE" in summary
        assert "220tr / 200tr (110%)" in summary  # 11 days x 20tr
        assert "22tr / ngân sách 30tr (73%)" in summary and "ROAS: 10" in summary
        await lan.assert_no_output(within=0.2)
    finally:
        lan.close()
