"""Logging setup. Secrets are scrubbed from every record, whoever logs them.

``LOG_FORMAT=json`` writes one JSON object per line (time, level, logger, message, and the
update id and chat id of the update being handled, set by the dispatcher's outermost middleware
through ``update_context``), for log collectors.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

REDACTED = "***"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# The update being handled by this task (asyncio copies the context into tasks it starts).
current_update_id: ContextVar[int | None] = ContextVar("current_update_id", default=None)
current_chat_id: ContextVar[int | None] = ContextVar("current_chat_id", default=None)


@contextlib.contextmanager
def update_context(update_id: int | None, chat_id: int | None) -> Iterator[None]:
    """Every record logged inside names this update and chat."""
    update_token = current_update_id.set(update_id)
    chat_token = current_chat_id.set(chat_id)
    try:
        yield
    finally:
        current_chat_id.reset(chat_token)
        current_update_id.reset(update_token)


class RedactSecrets(logging.Filter):
    """Replaces each secret in the formatted message (e.g. a token inside a request URL)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self._secrets):
            for secret in self._secrets:
                message = message.replace(secret, REDACTED)
            record.msg, record.args = message, None
        if record.exc_info and record.exc_text is None:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            for secret in self._secrets:
                record.exc_text = record.exc_text.replace(secret, REDACTED)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        update_id, chat_id = current_update_id.get(), current_chat_id.get()
        if update_id is not None:
            entry["update_id"] = update_id
        if chat_id is not None:
            entry["chat_id"] = chat_id
        if record.exc_info and record.exc_text is None:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


def make_formatter(log_format: str = "text") -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def setup_logging(level: str, secrets: list[str], log_format: str = "text") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(make_formatter(log_format))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
