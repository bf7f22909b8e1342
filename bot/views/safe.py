"""The one way text from outside enters an HTML message.

Anything a member typed, a file held or the API returned (answers, pasted lines, names of
members, stores, brands and departments, order fields, file names, reasons, notes, command
arguments echoed back) goes through ``user_text`` before it is put into a template: Telegram
reads the message as HTML, so an unescaped ``<b>x</i>`` makes it refuse the whole reply.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

__all__ = ["ECHO_LIMIT", "user_params", "user_text"]

# An answer quoted back to its author ("«…» is not a number") needs no more than this.
ECHO_LIMIT = 100
ELLIPSIS = "…"


def user_text(value: object, limit: int | None = None) -> str:
    """``value`` as text safe inside an HTML message; longer than ``limit`` characters, it is
    cut and ends with an ellipsis. ``None`` is the empty string."""
    text = "" if value is None else str(value)
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 0)].rstrip() + ELLIPSIS
    return escape(text)


def user_params(params: Mapping[str, object], limit: int | None = ECHO_LIMIT) -> dict[str, object]:
    """Template parameters that may hold such text: every string escaped (and shortened to
    ``limit``), numbers left as they are."""
    return {k: user_text(v, limit) if isinstance(v, str) else v for k, v in params.items()}
