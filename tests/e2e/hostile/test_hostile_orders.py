"""Hostile input in the /order form (every field type, the summary), in /order's argument,
and as the reason of a reject or a reopen.

Every input gets a reply Telegram accepts, never the internal error text; the answers given
before it stay (the form's data after each input, the request's row once submitted).
"""

from __future__ import annotations

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
from support.outbox_delivery import deliver_outbox

from bot.org.sections import OrderType
from bot.roles import Role
from bot.sandbox.client import SandboxUser
from bot.sandbox.html_check import clean_text
from bot.services.orders import create_order
from storage.models import Member, OrderEvent, OrderRequest, Store

BACK, SKIP, CANCEL, SUBMIT = "⬅️ Quay lại", "⏭ Bỏ qua", "✖️ Huỷ", "📨 Gửi yêu cầu"
TYPES = {"banner": "Thiết kế banner", "video": "Quay dựng video", "koc_booking": "Booking KOC"}
VALID = {  # a valid typed answer for each field of the demo org's request types
    "store": "HS-SHOPEE",
    "size": "1920x600",
    "video_type": "Review",
    "duration_seconds": "30",
    "brief": "Banner sale 12.12",
    "due_date": "28/11 14h",
    "reference": "https://example.com/ref",
    "product": "Son lì",
    "koc_count": "5",
    "budget": "10tr",
    "air_date": "28/11",
}
STORED = {  # those answers as the submitted request keeps them
    "size": "1920x600",
    "video_type": "Review",
    "duration_seconds": 30,
    "brief": "Banner sale 12.12",
    "reference": "https://example.com/ref",
    "product": "Son lì",
    "koc_count": 5,
    "budget": 10_000_000,
}
OPTIONAL_FILES = ("sample", "brief_file")  # photo / file fields: skipped when passed by


@pytest.fixture
async def tuan(app: BotUnderTest, user_factory) -> SandboxUser:
    """Growth's manager: asks for work from other departments."""
    user = user_factory(6101, "Tuấn")
    await app.join(user, Role.MANAGER, "growth")
    return user


@pytest.fixture
async def lan(app: BotUnderTest, user_factory) -> SandboxUser:
    user = user_factory(6102, "Lan")
    await app.join(user, Role.MANAGER, "design")
    return user


@pytest.fixture
async def managers(app: BotUnderTest, user_factory, lan: SandboxUser) -> None:
    """Every target department has a manager, so that requests can be submitted."""
    for user_id, department in ((6103, "media"), (6104, "booking")):
        await app.join(user_factory(user_id, f"Quản lý {department}"), Role.MANAGER, department)


async def draft_of(app: BotUnderTest, user: SandboxUser) -> dict[str, object]:
    state, data = await form_state(app, user)
    assert state is not None and isinstance(data.get("order_draft"), dict), (state, data)
    return data["order_draft"]  # type: ignore[return-value]


async def at_field(
    app: BotUnderTest, user: SandboxUser, watch: Watch, type_code: str, key: str
) -> None:
    """Make sure ``user`` is asked ``key`` of a ``type_code`` request (start again if not)."""
    state, data = await form_state(app, user)
    draft = data.get("order_draft")
    if (
        state == "OrderForm:field"
        and isinstance(draft, dict)
        and (draft["type_code"], draft["current"]) == (type_code, key)
    ):
        return
    if state is not None:
        await tap(app, user, watch, CANCEL)
    await probe(app, user, watch, "/order")
    await tap(app, user, watch, TYPES[type_code])
    while (current := (await draft_of(app, user))["current"]) != key:
        assert isinstance(current, str)
        await answer_validly(app, user, watch, current)


async def answer_validly(app: BotUnderTest, user: SandboxUser, watch: Watch, key: str) -> None:
    if key in OPTIONAL_FILES:
        await tap(app, user, watch, SKIP)
    else:
        await probe(app, user, watch, VALID[key])


async def back_to(app: BotUnderTest, user: SandboxUser, watch: Watch, key: str) -> None:
    state, _ = await form_state(app, user)
    if state == "OrderForm:summary" or (await draft_of(app, user))["current"] != key:
        await tap(app, user, watch, BACK)
    assert (await draft_of(app, user))["current"] == key


def earlier(draft: dict[str, object], type_code: str, key: str) -> dict[str, object]:
    """The draft's answers to the fields before ``key``."""
    answers = draft["answers"]
    assert isinstance(answers, dict)
    fields = draft["fields"]
    assert isinstance(fields, list)
    return {k: answers.get(k) for k in fields[: fields.index(key)] if k not in OPTIONAL_FILES}


@pytest.mark.parametrize(
    ("type_code", "keys"),
    [
        ("banner", ("store", "size", "brief", "due_date", "reference")),
        ("koc_booking", ("product", "koc_count", "budget", "air_date", "brief_file")),
        ("video", ("video_type", "duration_seconds", "sample")),
    ],
)
async def test_the_corpus_at_every_field_then_submit(
    app: BotUnderTest,
    tuan: SandboxUser,
    managers: None,
    watch: Watch,
    type_code: str,
    keys: tuple[str, ...],
) -> None:
    """Each field in turn gets the whole corpus, then its valid answer; then the summary gets
    it; the request submitted at the end holds the valid answers."""
    await at_field(app, tuan, watch, type_code, keys[0])
    for key in keys:
        while (current := (await draft_of(app, tuan))["current"]) != key:
            assert isinstance(current, str)
            await answer_validly(app, tuan, watch, current)
        before = earlier(await draft_of(app, tuan), type_code, key)
        for text in CORPUS:
            await probe(app, tuan, watch, text)
            assert earlier(await draft_of(app, tuan), type_code, key) == before
            await back_to(app, tuan, watch, key)
        await answer_validly(app, tuan, watch, key)
    while (await form_state(app, tuan))[0] == "OrderForm:field":
        current = (await draft_of(app, tuan))["current"]
        assert isinstance(current, str)
        await answer_validly(app, tuan, watch, current)
    answers = (await draft_of(app, tuan))["answers"]
    for text in CORPUS:
        await probe(app, tuan, watch, text)
        state, data = await form_state(app, tuan)
        assert state == "OrderForm:summary" and data["order_draft"]["answers"] == answers  # type: ignore[index]
    await tap(app, tuan, watch, SUBMIT)
    async with app.db.session_factory() as session:
        order = await session.scalar(select(OrderRequest))
    assert order is not None and order.type_code == type_code
    kept = {key: order.fields[key] for key in STORED if key in order.fields}
    assert kept == {key: STORED[key] for key in kept} and kept
    assert order.fields["store"]["code"] == "HS-SHOPEE" and order.deadline is not None


FIELDS = [
    ("banner", "store"),
    ("banner", "size"),
    ("banner", "brief"),
    ("banner", "due_date"),
    ("banner", "reference"),
    ("video", "duration_seconds"),
    ("video", "sample"),
    ("koc_booking", "budget"),
    ("koc_booking", "brief_file"),
]


@pytest.mark.parametrize(("type_code", "key"), FIELDS, ids=[f"{t}-{k}" for t, k in FIELDS])
@FUZZ
@given(text=HOSTILE)
async def test_a_field(
    app: BotUnderTest, tuan: SandboxUser, watch: Watch, type_code: str, key: str, text: str
) -> None:
    await at_field(app, tuan, watch, type_code, key)
    before = earlier(await draft_of(app, tuan), type_code, key)
    await probe(app, tuan, watch, text)
    assert earlier(await draft_of(app, tuan), type_code, key) == before


@FUZZ
@given(text=HOSTILE)
@with_corpus("text")
async def test_order_argument(
    app: BotUnderTest, tuan: SandboxUser, watch: Watch, text: str
) -> None:
    """/order N with anything after it."""
    state, _ = await form_state(app, tuan)
    if state is not None:
        await tap(app, tuan, watch, CANCEL)
    assert await probe(app, tuan, watch, f"/order {text}")


async def new_order(app: BotUnderTest, requester_id: int) -> int:
    """A banner request for HS-SHOPEE, submitted without the chat."""
    order_type = app.org.order_type("banner")
    assert isinstance(order_type, OrderType)
    async with app.db.session_factory() as session, session.begin():
        requester = await session.scalar(select(Member).where(Member.telegram_id == requester_id))
        store = await session.scalar(select(Store).where(Store.code == "HS-SHOPEE"))
        assert requester is not None and store is not None
        answers = {
            "store": {"id": store.id, "code": store.code},
            "size": "1200x1200",
            "brief": "Banner",
            "due_date": "2026-11-28T14:00",
        }
        order = await create_order(
            session, app.org, requester=requester, order_type=order_type, answers=answers,
            now=app.clock.now(),
        )  # fmt: skip
        return order.id


async def order_row(app: BotUnderTest, number: int) -> OrderRequest:
    async with app.db.session_factory() as session:
        order = await session.get(OrderRequest, number)
    assert order is not None
    return order


@FUZZ
@given(text=HOSTILE)
@with_corpus("text")
async def test_a_reject_reason(
    app: BotUnderTest, tuan: SandboxUser, lan: SandboxUser, watch: Watch, text: str
) -> None:
    """The reason is kept as typed, and the requester is told it in a message Telegram takes."""
    assume(not text.startswith("/"))  # that is a command, not a reason
    text = clean_text(text)  # what Telegram delivers of it (a NUL arrives as a space)
    number = await new_order(app, tuan.user_id)
    card = await probe(app, lan, watch, f"/order {number}")
    await tap(app, lan, watch, "✖️ Từ chối", card[0])
    replies = texts(await probe(app, lan, watch, text))
    order = await order_row(app, number)
    if len(text.strip()) < 3:
        assert order.status == "submitted" and "quá ngắn" in replies
        await probe(app, lan, watch, "Đã kín lịch")
        return
    assert order.status == "rejected"
    async with app.db.session_factory() as session:
        note = await session.scalar(
            select(OrderEvent.note).where(
                OrderEvent.order_id == number, OrderEvent.action == "reject"
            )
        )
    assert note == text.strip()[:1000]
    watch.clear()
    await deliver_outbox(app)
    assert not watch.refused, watch.refused
    told = [o for o in tuan.drain() if f"#{number}" in o.text and "từ chối" in o.text]
    assert told, "the requester was not told"
