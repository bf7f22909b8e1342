"""Long outbox messages are split, never dropped: one row, several calls, each counted, in order,
resumed where it stopped. And forum topics: every call for a payload goes to its topic."""

from __future__ import annotations

import itertools
import math
from datetime import timedelta

from aiogram import Bot
from support.sender_harness import GROUP, FakeTime, drain_all, rows, sender_for

from bot.delivery import RateLimits
from bot.delivery.payloads import (
    calls_of,
    document_payload,
    message_payload,
    photo_payload,
)
from bot.domain.text_split import visible_length
from bot.sandbox.server import SandboxServer
from storage.database import Database
from storage.repositories import outbox

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
KEYBOARD = {"inline_keyboard": [[{"text": "Ack", "callback_data": "ack:1"}]]}


def long_text(lines: int) -> str:
    return "\n".join(
        f"<b>{i:04d}</b> · cửa hàng số {i} &amp; bạn bè — {'x' * 40}" for i in range(lines)
    )


def test_a_text_over_4096_becomes_several_calls_with_the_keyboard_on_the_last() -> None:
    text = long_text(200)  # ~14,000 visible characters
    calls = calls_of(message_payload(text, KEYBOARD, thread_id=5))
    assert len(calls) == math.ceil(visible_length(text) / 4096) == 4
    assert all(visible_length(c["text"]) <= 4096 for c in calls)
    assert all(c["message_thread_id"] == 5 for c in calls)
    assert [c.get("reply_markup") for c in calls] == [None, None, None, KEYBOARD]
    # Cut at line boundaries, every line kept, in order.
    lines = [line for c in calls for line in c["text"].split("\n")]
    assert lines == text.split("\n")


def test_a_short_message_is_one_call_unchanged() -> None:
    payload = message_payload("<b>hi</b>", KEYBOARD)
    assert calls_of(payload) == [payload]


def test_a_caption_over_1024_is_shortened_with_the_rest_in_follow_ups() -> None:
    caption = long_text(60)  # ~3,600 visible characters
    first, *rest = calls_of(photo_payload(PNG, caption, KEYBOARD, thread_id=9))
    assert first["method"] == "send_photo" and visible_length(first["caption"]) <= 1024
    assert "reply_markup" not in first or first["reply_markup"] is None
    assert rest and all(c["method"] == "send_message" for c in rest)
    assert rest[-1]["reply_markup"] == KEYBOARD
    assert all(c["message_thread_id"] == 9 for c in [first, *rest])
    shown = [first["caption"], *(c["text"] for c in rest)]
    assert [line for part in shown for line in part.split("\n")] == caption.split("\n")


async def test_one_long_row_goes_out_as_ordered_calls_each_counted(
    db: Database, server: SandboxServer, bot: Bot, fake_time: FakeTime
) -> None:
    text = long_text(200)
    async with db.session_factory() as session, session.begin():
        await outbox.enqueue(
            session, dedupe_key="long", chat_id=1, kind="digest",
            payload=message_payload(text, KEYBOARD), now=fake_time.now(),
        )  # fmt: skip
        await outbox.enqueue(
            session, dedupe_key="after", chat_id=1, kind="digest",
            payload=message_payload("after"), now=fake_time.now(),
        )  # fmt: skip

    report = await drain_all(sender_for(bot, db, fake_time, RateLimits()), fake_time)

    assert report.sent == 2
    sent = server.messages(1)
    assert len(sent) == 5 and sent[-1]["text"] == "after"
    assert "\n".join(m["text"] for m in sent[:4]) == "\n".join(
        line.replace("<b>", "").replace("</b>", "").replace("&amp;", "&")
        for line in text.split("\n")
    )
    assert sent[3]["reply_markup"] == KEYBOARD and "reply_markup" not in sent[2]
    arrivals = [a.at for a in server.arrivals_of("sendMessage")]
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(arrivals))  # 1/s per chat, each call
    long_row = next(r for r in await rows(db) if r.dedupe_key == "long")
    assert (long_row.status, long_row.parts_sent) == ("sent", 4)


async def test_a_row_failing_mid_way_resumes_at_the_part_that_failed(
    db: Database, server: SandboxServer, bot: Bot, fake_time: FakeTime
) -> None:
    text = long_text(200)
    async with db.session_factory() as session, session.begin():
        await outbox.enqueue(
            session, dedupe_key="long", chat_id=2, kind="digest",
            payload=message_payload(text), now=fake_time.now(),
        )  # fmt: skip
    real = server.faults.pick
    seen = itertools.count()

    def second_call_fails(method: str):  # type: ignore[no-untyped-def]
        if method == "sendMessage" and next(seen) == 1:
            server.faults.add("500", method="sendMessage")
        return real(method)

    server.faults.pick = second_call_fails  # type: ignore[method-assign]
    start = fake_time.now()

    report = await drain_all(sender_for(bot, db, fake_time, RateLimits()), fake_time)

    assert report.sent == 1 and report.retried == 1
    sent = [m["text"] for m in server.messages(2)]
    assert len(sent) == 4 and len(set(sent)) == 4  # nothing sent twice
    assert sent[0].startswith("0000") and sent[-1].rstrip().endswith("x" * 40)
    [row] = await rows(db)
    assert (row.status, row.parts_sent, row.attempts) == ("sent", 4, 2)
    assert fake_time.now() - start >= timedelta(seconds=1)  # the backoff before part two


async def test_every_call_of_a_topic_payload_goes_to_the_topic(
    db: Database, server: SandboxServer, bot: Bot, fake_time: FakeTime
) -> None:
    payloads = [
        message_payload("<b>board</b>", thread_id=12),
        photo_payload(PNG, long_text(30), thread_id=12),  # caption over 1024: a follow-up
        document_payload(b"PK\x03\x04 workbook", "digest.xlsx", "Tháng 11", thread_id=12),
        message_payload("to the member", thread_id=None),
    ]
    async with db.session_factory() as session, session.begin():
        for i, payload in enumerate(payloads):
            chat = GROUP if i < 3 else 3
            await outbox.enqueue(
                session, dedupe_key=f"t{i}", chat_id=chat, kind="digest", payload=payload,
                now=fake_time.now(),
            )  # fmt: skip

    report = await drain_all(sender_for(bot, db, fake_time), fake_time)

    assert report.sent == 4
    board = server.messages(GROUP)
    assert [("photo" in m, "document" in m) for m in board] == [
        (False, False),
        (True, False),
        (False, False),
        (False, True),
    ]
    assert all(m["message_thread_id"] == 12 and m["is_topic_message"] for m in board)
    assert "message_thread_id" not in server.messages(3)[0]


async def test_the_sandbox_refuses_a_topic_in_a_private_chat(
    db: Database, server: SandboxServer, bot: Bot, fake_time: FakeTime
) -> None:
    async with db.session_factory() as session, session.begin():
        await outbox.enqueue(
            session, dedupe_key="p", chat_id=4, kind="digest",
            payload=message_payload("x", thread_id=3), now=fake_time.now(),
        )  # fmt: skip

    assert (await sender_for(bot, db, fake_time).drain_once()).failed == 1
    [row] = await rows(db)
    assert "message thread not found" in (row.last_error or "")
