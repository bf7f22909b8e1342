"""Alert charts queued as data are drawn by the sender when the message goes out: the write
that opened the alert never waits for the chart worker."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from aiogram import Bot
from support.sender_harness import FakeTime, rows, sender_for

from bot.charts import run as chart_run
from bot.charts.codec import chart_from_json, chart_to_json
from bot.charts.data import AlertChart, ChartLabels
from bot.delivery import DrainReport
from bot.delivery.payloads import chart_photo_payload
from bot.sandbox.server import SandboxServer
from storage.database import Database
from storage.repositories import outbox

DAYS = tuple(date(2026, 11, 1) + timedelta(days=i) for i in range(14))
KEYBOARD = {"inline_keyboard": [[{"text": "Ack", "callback_data": "b:1:ack"}]]}


def alert_chart() -> AlertChart:
    return AlertChart(
        title="HS-SHP · GMV",
        subtitle="ngày 14/11",
        metric_label="GMV",
        days=DAYS,
        values=(*(1e6 * i for i in range(13)), None),
        targets=(5e6,) * 14,
        breached=(DAYS[-1],),
        locale="vi",
        labels=ChartLabels(actual="Thực tế", plan="Mục tiêu"),
    )


async def queue(db: Database, fake_time: FakeTime, key: str, chart: dict[str, object]) -> None:
    payload = chart_photo_payload(chart, "<b>GMV</b> giảm 40%", KEYBOARD, "alert-HS.png")
    async with db.session_factory() as session, session.begin():
        await outbox.enqueue(
            session, dedupe_key=key, chat_id=7, kind="alert", payload=payload,
            now=fake_time.now(),
        )  # fmt: skip


def test_a_chart_survives_the_trip_through_json() -> None:
    chart = alert_chart()
    assert chart_from_json(chart_to_json("alert", chart)) == ("alert", chart)
    with pytest.raises(ValueError):
        chart_from_json({"kind": "alert", "data": {"title": "no days"}})
    with pytest.raises(ValueError):
        chart_from_json({"kind": "kpi", "data": {}})


async def test_the_sender_draws_a_queued_chart_and_sends_it_as_a_photo(
    db: Database, server: SandboxServer, bot: Bot, fake_time: FakeTime
) -> None:
    await queue(db, fake_time, "alert", chart_to_json("alert", alert_chart()))

    assert await sender_for(bot, db, fake_time).drain_once() == DrainReport(sent=1)

    (sent,) = server.messages(7)
    assert sent["caption"] == "GMV giảm 40%"
    assert sent["reply_markup"] == KEYBOARD
    assert server.file_bytes(sent["photo"][-1]["file_id"]).startswith(b"\x89PNG")


async def test_a_chart_that_cannot_be_drawn_leaves_its_caption_as_text(
    db: Database,
    server: SandboxServer,
    bot: Bot,
    fake_time: FakeTime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(kind: str, data: object) -> bytes:
        raise RuntimeError("chart worker gone")

    monkeypatch.setattr(chart_run, "render", broken)
    await queue(db, fake_time, "alert", chart_to_json("alert", alert_chart()))
    await queue(db, fake_time, "bad", {"kind": "alert", "data": {"title": "x"}})

    await sender_for(bot, db, fake_time).drain_once()

    (sent,) = server.messages(7)
    assert sent["text"] == "GMV giảm 40%" and sent["reply_markup"] == KEYBOARD
    bad = next(row for row in await rows(db) if row.dedupe_key == "bad")
    assert bad.status == "failed" and "incomplete" in (bad.last_error or "")
