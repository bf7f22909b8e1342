"""LOG_FORMAT=json: one JSON object per line, naming the update and chat being handled on every
line written while the dispatcher's outermost middleware runs it."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram.types import Chat, Update

from bot.logs import JsonFormatter, RedactSecrets, make_formatter, setup_logging
from bot.metrics import Metrics
from bot.settings import load_settings
from handlers.middlewares import UpdateMetricsMiddleware

log = logging.getLogger("opsbot.test.json")


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactSecrets(["123456:SECRET-token-value"]))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    yield stream
    log.removeHandler(handler)


def records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_one_object_per_line_with_time_level_logger_and_message(lines: io.StringIO) -> None:
    log.info("sent %s messages\nin two lines", 3)
    log.warning("token 123456:SECRET-token-value refused")

    first, second = records(lines)
    assert len(lines.getvalue().splitlines()) == 2  # the newline stays inside the JSON string
    assert first["message"] == "sent 3 messages\nin two lines"
    assert (first["level"], first["logger"]) == ("INFO", "opsbot.test.json")
    assert datetime.fromisoformat(first["time"]).tzinfo == UTC
    assert "update_id" not in first and "chat_id" not in first
    assert second["message"] == "token *** refused"


def test_exceptions_stay_on_the_line(lines: io.StringIO) -> None:
    try:
        raise ValueError("bad number")
    except ValueError:
        log.exception("parse failed")
    (record,) = records(lines)
    assert record["message"] == "parse failed"
    assert "ValueError: bad number" in record["exception"]


async def test_every_line_of_an_update_names_it(lines: io.StringIO) -> None:
    metrics = Metrics()
    middleware = UpdateMetricsMiddleware(metrics)
    update = Update.model_validate(
        {
            "update_id": 9001,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": -1007, "type": "supergroup", "title": "Store 7"},
                "text": "hi",
            },
        }
    )

    async def handler(event: Any, data: dict[str, Any]) -> str:
        log.info("handling")
        log.info("replying")
        return "done"

    log.info("before")
    data: dict[str, Any] = {"event_chat": Chat(id=-1007, type="supergroup")}
    assert await middleware(handler, update, data) == "done"
    log.info("after")

    before, handling, replying, after = records(lines)
    for inside in (handling, replying):
        assert (inside["update_id"], inside["chat_id"]) == (9001, -1007)
    assert "update_id" not in before and "update_id" not in after
    assert metrics.updates.labels("message", "ok")._value.get() == 1


def test_the_setting_picks_the_formatter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_FORMAT", "json")
    assert load_settings().log_format == "json"
    assert isinstance(make_formatter("json"), JsonFormatter)
    assert not isinstance(make_formatter("text"), JsonFormatter)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        setup_logging("INFO", [], "json")
        assert isinstance(root.handlers[0].formatter, JsonFormatter)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
