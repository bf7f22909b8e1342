"""Reading a date (and an optional time) the way people type it in Vietnamese chats.

Accepted, case- and accent-insensitively: ``25/11``, ``25-11``, ``25.11``, ``25/11/2026``,
``25/11/26``, ``2026-11-25``, ``hôm nay``, ``mai`` / ``ngày mai``, ``mốt`` / ``ngày kia``,
``2 ngày nữa``, ``thứ 6`` / ``thứ sáu`` / ``t6``, ``chủ nhật`` / ``cn``, ``thứ 2 tuần sau``,
English ``today`` / ``tomorrow``; each optionally with a time: ``14h``, ``14h30``, ``14:30``,
``2h chiều``. A time alone means today.

A weekday means its nearest occurrence, today included. A day without a year is in the current
year unless that is more than half a year ago (``05/01`` typed in December is next January).
Without a time the deadline is the end of the working day, ``DEFAULT_TIME``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from bot.domain.text_norm import normalize

DEFAULT_TIME = time(18, 0)
MAX_INPUT_LENGTH = 40
_HALF_YEAR = timedelta(days=183)

# Error keys (translated by the caller as ``order.date.<key>``).
UNRECOGNISED = "unrecognised"
NO_SUCH_DAY = "no_such_day"  # 31/02
BAD_TIME = "bad_time"  # 25h
PAST = "past"
TOO_SOON = "too_soon"  # before the lead time of the order type
EXAMPLES = ("25/11", "thứ 6 14h")


class DateError(ValueError):
    def __init__(self, message_key: str) -> None:
        self.message_key = message_key
        super().__init__(message_key)


@dataclass(frozen=True)
class When:
    """A calendar day and, when the person gave one, a time of day."""

    day: date
    at: time | None = None

    def local(self, tz: tzinfo, default_time: time = DEFAULT_TIME) -> datetime:
        return datetime.combine(self.day, self.at or default_time, tzinfo=tz)

    def to_text(self) -> str:
        """Canonical form, stored in the order's fields: ``2026-11-25`` or ``2026-11-25T14:30``."""
        if self.at is None:
            return self.day.isoformat()
        return f"{self.day.isoformat()}T{self.at.strftime('%H:%M')}"

    @classmethod
    def from_text(cls, text: str) -> When:
        if "T" in text:
            day_text, time_text = text.split("T", 1)
            return cls(date.fromisoformat(day_text), time.fromisoformat(time_text))
        return cls(date.fromisoformat(text))


_WEEKDAY_WORDS = {"hai": 0, "ba": 1, "tu": 2, "nam": 3, "sau": 4, "bay": 5}
_TIME = re.compile(
    r"(?:^|\s)(?:luc\s+)?(\d{1,2})\s*(?:(?:h|g|gio)\s*(\d{2})?|:(\d{2}))"
    r"(?:\s*(sang|trua|chieu|toi|am|pm))?(?=\s|$)"
)
_NUMERIC = re.compile(r"^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_IN_DAYS = re.compile(r"^(?:sau\s+)?(\d{1,3})\s*ngay\s*(?:nua|toi)?$|^in\s+(\d{1,3})\s+days?$")
_WEEKDAY = re.compile(
    r"^(?:thu\s*([2-7]|hai|ba|tu|nam|sau|bay)|t([2-7])|(chu\s*nhat|cn|sunday))"
    r"(?:\s+(tuan\s+(?:sau|toi)|tuan\s+nay))?$"
)
_RELATIVE = {
    "hom qua": -1,  # read, so that it is refused as past rather than not understood
    "yesterday": -1,
    "hom nay": 0,
    "nay": 0,
    "today": 0,
    "mai": 1,
    "ngay mai": 1,
    "tomorrow": 1,
    "mot": 2,
    "ngay mot": 2,
    "ngay kia": 2,
}


def _split_time(text: str) -> tuple[str, time | None]:
    match = _TIME.search(text)
    if match is None:
        return text, None
    hour = int(match.group(1))
    minute = int(match.group(2) or match.group(3) or 0)
    part = match.group(4)
    if part in ("chieu", "toi", "pm") and hour < 12:
        hour += 12
    if hour > 23 or minute > 59:
        raise DateError(BAD_TIME)
    rest = (text[: match.start()] + " " + text[match.end() :]).strip()
    return " ".join(rest.split()), time(hour, minute)


def _safe_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateError(NO_SUCH_DAY) from None


def _numeric_day(match: re.Match[str], today: date) -> date:
    day, month, year_text = int(match.group(1)), int(match.group(2)), match.group(3)
    if year_text is not None:
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
        return _safe_date(year, month, day)
    candidate = _safe_date(today.year, month, day) if _valid(today.year, month, day) else None
    if candidate is None:
        # 29/02 in a year without it: the next year that has it is too far to guess.
        return _safe_date(today.year + 1, month, day)
    if today - candidate > _HALF_YEAR:
        return _safe_date(today.year + 1, month, day)
    return candidate


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _weekday_day(match: re.Match[str], today: date) -> date:
    word = match.group(1) or match.group(2)
    if match.group(3):
        weekday = 6
    elif word.isdigit():
        weekday = int(word) - 2  # "thứ 2" is Monday
    else:
        weekday = _WEEKDAY_WORDS[word]
    ahead = (weekday - today.weekday()) % 7
    next_week = match.group(4) is not None and "nay" not in match.group(4)
    if next_week:
        monday_next = today + timedelta(days=7 - today.weekday())
        return monday_next + timedelta(days=weekday)
    return today + timedelta(days=ahead)


def _day_of(text: str, today: date) -> date:
    if text == "":
        return today
    if text in _RELATIVE:
        return today + timedelta(days=_RELATIVE[text])
    if match := _NUMERIC.match(text):
        return _numeric_day(match, today)
    if match := _ISO.match(text):
        return _safe_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    if match := _IN_DAYS.match(text):
        return today + timedelta(days=int(match.group(1) or match.group(2)))
    if match := _WEEKDAY.match(text):
        return _weekday_day(match, today)
    raise DateError(UNRECOGNISED)


def parse_when(text: str, today: date) -> When:
    """The day (and time) ``text`` names, relative to ``today`` in the org timezone."""
    folded = normalize(text).rstrip(".!")
    if not folded or len(folded) > MAX_INPUT_LENGTH:
        raise DateError(UNRECOGNISED)
    rest, at = _split_time(folded)
    rest = re.sub(r"^(?:ngay|truoc|han|deadline)\s+(?=\d)", "", rest)
    return When(_day_of(rest, today), at)


def deadline_problem(
    deadline: datetime, now: datetime, lead_time_hours: float
) -> tuple[str, datetime | None] | None:
    """Why ``deadline`` cannot be accepted (``PAST`` / ``TOO_SOON`` with the earliest instant)."""
    if deadline <= now:
        return PAST, None
    earliest = now + timedelta(hours=lead_time_hours)
    if deadline < earliest:
        return TOO_SOON, earliest
    return None
