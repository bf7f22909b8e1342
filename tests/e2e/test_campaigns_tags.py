"""A person's output tagged to a running campaign from the report summary: offered only while
a campaign runs, re-checked on arrival, stored with the report, counted once (a correction
replaces it), shown in the campaign's view."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from support.bot_harness import BotUnderTest, forge_callback

from bot.roles import Role
from bot.sandbox.client import BotOutput, SandboxUser
from bot.views.reports import ReportCallback
from storage.models import Member, Report
from storage.repositories import campaigns as repo
from storage.repositories import reports
from storage.repositories.campaigns import CampaignFields

# The harness clock is 2026-11-21 09:00: a morning report is for 20/11.
DAY = date(2026, 11, 20)


async def say(user: SandboxUser, text: str) -> str:
    await user.send(text)
    return (await user.next_message()).text


async def add_campaign(app: BotUnderTest, code: str, start: date, end: date) -> int:
    async with app.db.session_factory() as session, session.begin():
        fields = CampaignFields(
            code=code,
            name=f"Chiến dịch {code}",
            start=start,
            end=end,
            brand_codes=("HS",),
            targets={"gmv": 100_000_000},
        )
        row, _ = await repo.upsert(session, fields, source="chat", now=app.clock.now())
        return row.id


async def lan_report(app: BotUnderTest, telegram_id: int) -> Report:
    async with app.db.session_factory() as session:
        member = await session.scalar(select(Member).where(Member.telegram_id == telegram_id))
        assert member is not None
        report = await session.scalar(select(Report).where(Report.member_id == member.id))
        assert report is not None
        return report


async def test_tag_offered_while_running_stored_and_counted_once(
    app: BotUnderTest, user_factory
) -> None:
    await add_campaign(app, "OLD", date(2026, 11, 1), date(2026, 11, 10))  # over: not offered
    sale = await add_campaign(app, "SALE", date(2026, 11, 15), date(2026, 11, 25))
    lan = user_factory(6301, "Lan")
    await app.join(lan, Role.STAFF, "media")
    await say(lan, "/report")
    summary = await say(lan, "4")
    assert "chiến dịch nào không" in summary
    buttons = lan.last_message_with_buttons
    assert buttons is not None
    assert "🎯 Chiến dịch SALE" in buttons.button_texts
    assert "🎯 Chiến dịch OLD" not in buttons.button_texts

    # A forged button naming a campaign not running that day changes nothing.
    forged = ReportCallback(rid=_rid(buttons), action="camp", value="999").pack()
    assert buttons.message_id is not None
    forge_callback(app.sandbox, lan, buttons.message_id, forged)
    assert "hết hiệu lực" in (await lan.next_message()).text

    await lan.press("🎯 Chiến dịch SALE", buttons)
    tagged = (await lan.next_message()).text
    assert "Chiến dịch: Chiến dịch SALE" in tagged
    await lan.press("✅ Xác nhận")
    assert "Đã lưu" in (await lan.next_message()).text
    report = await lan_report(app, 6301)
    assert report.campaign_id == sale

    async with app.db.session_factory() as session:
        assert await repo.tagged_totals(session, sale) == {"videos": 4}
    # A correction replaces the value: the output still counts once.
    async with app.db.session_factory() as session, session.begin():
        await reports.save_report(
            session,
            subject_key=report.subject_key,
            store_id=None,
            member_id=report.member_id,
            form="media",
            business_date=DAY,
            values={"videos": 6},
            expected_revision=report.revision,
            actor_id=None,
            now=app.clock.now(),
            source="chat",
        )
    async with app.db.session_factory() as session:
        assert await repo.tagged_totals(session, sale) == {"videos": 6}

    boss = user_factory(6302, "Sếp")
    await app.join(boss, Role.BOD)
    await boss.send("/kpi SALE")
    caption = (await boss.next_photo()).text
    assert "Sản lượng gắn chiến dịch: Video đã đăng 6" in caption


def _rid(message: BotOutput) -> str:
    data = message.callback_data("✅ Xác nhận")
    assert data is not None
    return ReportCallback.unpack(data).rid


async def test_no_tag_offered_without_a_running_campaign(app: BotUnderTest, user_factory) -> None:
    lan = user_factory(6303, "Lan")
    await app.join(lan, Role.STAFF, "media")
    await say(lan, "/report")
    summary = await say(lan, "4")
    assert "chiến dịch" not in summary.lower()
    buttons = lan.last_message_with_buttons
    assert buttons is not None and not any("🎯" in b for b in buttons.button_texts)
