"""Hostile input at every step of the daily report, and in the report commands' arguments.

Every input gets a reply Telegram accepts (the sandbox checks the HTML and the length), never
the internal error text, and the answers given before it stay: in the form's data after each
input, and in the database once the report is confirmed.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, given
from sqlalchemy import select
from support.bot_harness import BotUnderTest
from support.hostile import (
    CORPUS,
    FUZZ,
    HOSTILE,
    Watch,
    form_state,
    probe,
    tap,
    texts,
    with_corpus,
)

from bot.roles import Role
from bot.sandbox.client import SandboxUser
from storage.models import DailyValue, Report

DAY = date(2026, 11, 20)  # the harness clock is 2026-11-21 09:00: reports cover the day before
BACK, CANCEL, CONFIRM = "⬅️ Quay lại", "✖️ Huỷ", "✅ Xác nhận"
REST = "nmv 11tr\nđơn 85\nhủy 3\nhoàn 2\nlượt truy cập 3.200\nchi phí ads 1tr2"
SAVED = {
    "gmv": 12_000_000,
    "nmv": 11_000_000,
    "orders": 85,
    "cancelled": 3,
    "returned": 2,
    "traffic": 3200,
    "ads_cost": 1_200_000,
}


@pytest.fixture
async def minh(app: BotUnderTest, user_factory) -> SandboxUser:
    user = user_factory(5101, "Minh")
    await app.join(user, Role.STAFF, "growth", ("HS-SHOPEE",))
    return user


@pytest.fixture
async def hoa(app: BotUnderTest, user_factory) -> SandboxUser:
    """Two stores: /report starts with a pick."""
    user = user_factory(5102, "Hoa")
    await app.join(user, Role.STAFF, "growth", ("HS-SHOPEE", "HS-TIKTOK"))
    return user


@pytest.fixture
async def tuan(app: BotUnderTest, user_factory) -> SandboxUser:
    user = user_factory(5103, "Tuấn")
    await app.join(user, Role.MANAGER, "growth")
    return user


async def draft_of(app: BotUnderTest, user: SandboxUser) -> dict[str, object]:
    state, data = await form_state(app, user)
    assert state is not None and isinstance(data.get("draft"), dict), (state, data)
    return data["draft"]  # type: ignore[return-value]


async def at_question(
    app: BotUnderTest, user: SandboxUser, watch: Watch, key: str, before: str = "12tr"
) -> None:
    """Make sure ``user`` is asked ``key`` of a report whose GMV is 12tr (restart if not)."""
    state, data = await form_state(app, user)
    draft = data.get("draft")
    if state == "ReportForm:field" and isinstance(draft, dict) and draft.get("current") == key:
        return
    if state is not None:
        await tap(app, user, watch, CANCEL)
    await probe(app, user, watch, "/report")
    if key != "gmv":
        await probe(app, user, watch, before)
    assert (await draft_of(app, user))["current"] == key


async def back_to(app: BotUnderTest, user: SandboxUser, watch: Watch, key: str) -> None:
    """An input taken as the answer moved the form on: Back to ``key`` again."""
    draft = await draft_of(app, user)
    if draft["current"] != key:
        await tap(app, user, watch, BACK)
        assert (await draft_of(app, user))["current"] == key


async def saved_values(app: BotUnderTest) -> dict[str, float]:
    async with app.db.session_factory() as session:
        rows = await session.execute(
            select(DailyValue.metric, DailyValue.value)
            .join(Report, Report.id == DailyValue.report_id)
            .where(Report.business_date == DAY)
        )
        return dict(rows.all())


async def test_the_corpus_at_every_step_then_confirm(
    app: BotUnderTest, minh: SandboxUser, watch: Watch
) -> None:
    """Each step in turn gets the whole corpus; the report saved at the end is the right one."""
    await at_question(app, minh, watch, "nmv")
    for text in CORPUS:  # a number question
        await probe(app, minh, watch, text)
        assert (await draft_of(app, minh))["answers"]["gmv"] == 12_000_000  # type: ignore[index]
        await back_to(app, minh, watch, "nmv")
    for text in CORPUS:  # a pasted report with a hostile line (the valid line is kept)
        replies = texts(await probe(app, minh, watch, f"{text} 5\ngmv 12tr"))
        assert "12.000.000 ₫" in replies
        await back_to(app, minh, watch, "nmv")
    summary = texts(await probe(app, minh, watch, REST))
    assert "Tóm tắt" in summary
    for text in CORPUS:  # the summary
        await probe(app, minh, watch, text)
        state, data = await form_state(app, minh)
        assert state == "ReportForm:summary"
        assert data["draft"]["answers"] == SAVED  # type: ignore[index]
    await tap(app, minh, watch, CONFIRM)
    assert await saved_values(app) == SAVED


@FUZZ
@given(text=HOSTILE)
async def test_a_number_question(
    app: BotUnderTest, minh: SandboxUser, watch: Watch, text: str
) -> None:
    await at_question(app, minh, watch, "nmv")
    await probe(app, minh, watch, text)
    assert (await draft_of(app, minh))["answers"]["gmv"] == 12_000_000  # type: ignore[index]


@FUZZ
@given(text=HOSTILE)
async def test_a_pasted_report(
    app: BotUnderTest, minh: SandboxUser, watch: Watch, text: str
) -> None:
    assume(not text.startswith("/"))  # that is a command, not a pasted report
    await at_question(app, minh, watch, "gmv")
    replies = texts(await probe(app, minh, watch, f"{text} 5\ngmv 12tr"))
    assert "12.000.000 ₫" in replies  # the valid line is taken and said so
    assert (await draft_of(app, minh))["answers"]["gmv"] == 12_000_000  # type: ignore[index]
    await back_to(app, minh, watch, "gmv")


@FUZZ
@given(text=HOSTILE)
@with_corpus("text")
async def test_the_store_pick(app: BotUnderTest, hoa: SandboxUser, watch: Watch, text: str) -> None:
    state, _ = await form_state(app, hoa)
    if state != "ReportForm:pick":
        await probe(app, hoa, watch, "/report")
    await probe(app, hoa, watch, text)
    state, data = await form_state(app, hoa)
    assert state == "ReportForm:pick" and data.get("pick_rid")


@FUZZ
@given(text=HOSTILE)
async def test_the_summary(app: BotUnderTest, minh: SandboxUser, watch: Watch, text: str) -> None:
    state, _ = await form_state(app, minh)
    if state != "ReportForm:summary":
        await at_question(app, minh, watch, "nmv")
        await probe(app, minh, watch, REST)
    await probe(app, minh, watch, text)
    answers = (await draft_of(app, minh))["answers"]
    assert answers["traffic"] == 3200 and answers["ads_cost"] == 1_200_000  # type: ignore[index]


@FUZZ
@given(text=HOSTILE)
@with_corpus("text")
async def test_report_commands_arguments(
    app: BotUnderTest, tuan: SandboxUser, watch: Watch, text: str
) -> None:
    """/report DATE, /history STORE, /status DATE: whatever follows the command."""
    state, _ = await form_state(app, tuan)
    if state is not None:
        await tap(app, tuan, watch, CANCEL)
    for command in ("/history", "/status", "/report"):
        replies = await probe(app, tuan, watch, f"{command} {text}")
        assert replies
