"""Direct replies that Telegram could refuse, through the sandbox (which answers 400 to a text
over 4096 characters, a caption over 1024 and broken HTML, as Telegram does):

* /status for 300 people goes out as several messages, every name in order;
* /dept for 300 people: a caption of whole lines, the rest in messages after the chart;
* a reply refused for its HTML goes out as plain text, and the answer stays saved;
* a reply refused even as plain text: the answer stays saved, nobody sees "internal error".
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import date

import pytest
from support.bot_harness import BotUnderTest
from support.hostile import INTERNAL_ERRORS, Watch, form_state, probe, settle, watching
from support.people import add_person
from support.report_rows import add_person_report

from bot.domain.text_split import visible_length
from bot.roles import Role
from bot.sandbox.client import SandboxUser
from bot.views import reports as report_views
from storage.models import Member

DAY = date(2026, 11, 20)
PEOPLE = 300


def name_of(n: int) -> str:
    """Long names with characters HTML would take for markup."""
    return f"Nguyễn <Thị> & Hoa {n:03d} — phòng live"


@pytest.fixture
def watch():
    with watching() as watched:
        yield watched


@pytest.fixture
async def crowd(app: BotUnderTest) -> list[Member]:
    """300 livestream staff; every other one reported yesterday."""
    async with app.db.session_factory() as session, session.begin():
        people = [
            await add_person(
                session,
                800_000 + n,
                name_of(n),
                "staff",
                department="livestream",
                now=app.clock.now(),
            )
            for n in range(PEOPLE)
        ]
        for member in people[::2]:
            await add_person_report(
                session, member, "livestream", "live_sessions", DAY, app.clock.now()
            )
    return people


@pytest.fixture
async def an(app: BotUnderTest, user_factory) -> SandboxUser:
    user = user_factory(7201, "An")
    await app.join(user, Role.ADMIN)
    return user


def names_in_order(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"Nguyễn <Thị> & Hoa (\d{3})", text)]


async def test_status_for_300_people_is_split_never_cut(
    app: BotUnderTest, crowd: list[Member], an: SandboxUser, watch: Watch
) -> None:
    outputs = await probe(app, an, watch, f"/status {DAY.isoformat()}")  # refused 400s fail here
    assert len(outputs) >= 3 and all(o.kind == "message" for o in outputs)
    assert all(visible_length(o.text, parse_html=False) <= 4096 for o in outputs)
    assert "20/11/2026" in outputs[0].text  # the title comes first
    whole = "\n".join(o.text for o in outputs)
    assert names_in_order(whole) == list(range(PEOPLE))  # all of them, in order
    assert whole.count("✅") >= PEOPLE // 2 and whole.count("❌") >= PEOPLE // 2
    ids = [o.message_id or 0 for o in outputs]
    assert ids == sorted(ids)


async def test_dept_caption_over_1024_goes_on_in_messages(
    app: BotUnderTest, crowd: list[Member], an: SandboxUser, watch: Watch
) -> None:
    outputs = await probe(app, an, watch, "/dept livestream", timeout=60)
    photo, *rest = outputs
    assert photo.kind == "photo" and visible_length(photo.text, parse_html=False) <= 1024
    assert rest and all(o.kind == "message" for o in rest)
    assert names_in_order("\n".join(o.text for o in outputs)) == list(range(PEOPLE))


@pytest.fixture
async def minh(app: BotUnderTest, user_factory) -> SandboxUser:
    user = user_factory(7202, "Minh")
    await app.join(user, Role.STAFF, "growth", ("HS-SHOPEE",))
    return user


async def test_a_reply_refused_for_its_html_goes_out_as_plain_text(
    app: BotUnderTest,
    minh: SandboxUser,
    watch: Watch,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A template bug (unbalanced tags in the echo) costs the formatting, not the answer."""
    await probe(app, minh, watch, "/report")
    monkeypatch.setattr(report_views, "fmt", lambda *args: "<b>12.000.000 ₫</i>")
    minh.drain()
    watch.clear()
    with caplog.at_level(logging.ERROR):
        await minh.send("12tr")
        outputs = await settle(app, minh)
    assert len(watch.refused) == 1  # the HTML reply, once
    (reply,) = outputs
    assert reply.text.startswith("✓ Doanh thu (GMV): 12.000.000 ₫") and "(2/7)" in reply.text
    assert "entities" not in reply.raw  # plain text: no formatting at all
    assert "⬅️ Quay lại" in reply.button_texts  # the buttons came along
    state, data = await form_state(app, minh)
    assert state == "ReportForm:field" and data["draft"]["answers"] == {"gmv": 12_000_000}  # type: ignore[index]
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(logged) == 1 and re.search(r"update_id=\d+", logged[0].getMessage())
    assert logged[0].exc_info is None


async def test_a_reply_refused_even_as_plain_text_keeps_the_answer(
    app: BotUnderTest,
    minh: SandboxUser,
    watch: Watch,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A keyboard Telegram refuses fails both tries; the answer is committed all the same."""
    await probe(app, minh, watch, "/report")
    broken = report_views.InlineKeyboardMarkup(
        inline_keyboard=[[report_views.InlineKeyboardButton(text="x", callback_data="y" * 80)]]
    )
    monkeypatch.setattr(report_views, "question_keyboard", lambda *args: broken)
    minh.drain()
    watch.clear()
    with caplog.at_level(logging.ERROR):
        await minh.send("12tr")
        async with asyncio.timeout(10):  # the positive signal: both tries reached the sandbox
            while len(watch.refused) < 2:
                await asyncio.sleep(0.02)
        assert app.runtime is not None and await app.runtime.in_flight.wait_idle(10)
    assert all("BUTTON_DATA_INVALID" in refusal for refusal in watch.refused)
    state, data = await form_state(app, minh)
    assert state == "ReportForm:field" and data["draft"]["answers"] == {"gmv": 12_000_000}  # type: ignore[index]
    assert not any(error in o.text for o in minh.drain() for error in INTERNAL_ERRORS)
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(logged) == 1 and "changes are kept" in logged[0].getMessage()
