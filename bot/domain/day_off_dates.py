"""Reading the days of a `/off` request: ``25/11``, ``25/11-27/11``, ``mai``, ``thứ 6``...

Single days are read by ``bot.domain.order_dates.parse_when`` (the chat date reader shared with
order requests); this module adds ranges (``25/11-27/11``, ``25/11 đến 27/11``), lists
(``25/11, 27/11``) and the free-text reason that follows the days:
``/off 25/11-27/11 về quê`` → days 25, 26 and 27/11, reason "về quê".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from bot.domain.order_dates import DateError, parse_when

MAX_DAYS = 14  # in one request
MAX_AHEAD_DAYS = 90
EXAMPLES = ("25/11", "25/11-27/11 về quê", "mai", "thứ 6")

# Error keys (translated by the caller as ``off.error.<key>``).
UNRECOGNISED = "unrecognised"
PAST = "past"
TOO_FAR = "too_far"
TOO_MANY = "too_many"
BACKWARDS = "backwards"

_RANGE_SEPARATOR = re.compile(r"\s*(?:\.\.|–|—|-|\bđến\b|\bden\b|\bto\b)\s*", re.IGNORECASE)
_MAX_WINDOW = 5  # words one day or range may take: "thứ 2 - thứ 6"


class DayOffError(ValueError):
    def __init__(self, message_key: str) -> None:
        self.message_key = message_key
        super().__init__(message_key)


@dataclass(frozen=True)
class DayOffRequest:
    days: tuple[date, ...]  # sorted, unique
    reason: str | None


def _one_day(text: str, today: date) -> date | None:
    try:
        when = parse_when(text, today)
    except DateError:
        return None
    return when.day if when.at is None else None  # "14h" is a time, not a day off


def _days_of(text: str, today: date) -> list[date] | None:
    """The days ``text`` names (one day or a range), None when it names none."""
    text = text.strip().strip(",;:")
    if not text:
        return None
    single = _one_day(text, today)
    if single is not None:
        return [single]
    parts = _RANGE_SEPARATOR.split(text)
    if len(parts) != 2:
        return None
    first, last = _one_day(parts[0], today), _one_day(parts[1], today)
    if first is None or last is None:
        return None
    if last < first:
        raise DayOffError(BACKWARDS)
    if (last - first).days >= MAX_DAYS:
        raise DayOffError(TOO_MANY)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _split_words(text: str) -> list[str]:
    # "25/11,27/11" is two items; keep the comma as its own word so it ends an item.
    return re.sub(r"\s*,\s*", " , ", text).split()


def parse_days_off(text: str, today: date) -> DayOffRequest:
    """Days (from ``today`` on, at most ``MAX_DAYS``) and the reason of a `/off` request."""
    words = _split_words(text)
    days: set[date] = set()
    position = 0
    while position < len(words):
        if words[position] == ",":
            position += 1
            continue
        found = None
        for size in range(min(_MAX_WINDOW, len(words) - position), 0, -1):
            window = words[position : position + size]
            if "," in window:
                continue
            found = _days_of(" ".join(window), today)
            if found is not None:
                position += size
                break
        if found is None:
            break
        days.update(found)
    if not days:
        raise DayOffError(UNRECOGNISED)
    reason = " ".join(w for w in words[position:]).strip(" ,;:-") or None
    return DayOffRequest(tuple(sorted(days)), reason)


def check_days(days: tuple[date, ...], today: date) -> None:
    """Raise ``DayOffError`` when the days cannot be requested (past, too far, too many)."""
    if days[0] < today:
        raise DayOffError(PAST)
    if days[-1] > today + timedelta(days=MAX_AHEAD_DAYS):
        raise DayOffError(TOO_FAR)
    if len(days) > MAX_DAYS:
        raise DayOffError(TOO_MANY)
