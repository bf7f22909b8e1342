"""Order times from cells: Excel dates, Excel serial numbers and text in several layouts.

Text such as ``03/11/2026`` can be day-first or month-first. It is kept unresolved
(``Pending``) until the whole file has been read; the file's order is then decided once from
the values with a part over 12 (``DateOrders``) and every pending value is resolved with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import NamedTuple

from bot.marketplace.model import DateOrder

_TIME = r"(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(AM|PM|SA|CH)?)?"
_ZONE = r"\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?"
_YEAR_FIRST = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME + _ZONE, re.IGNORECASE)
_YEAR_LAST = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})" + _TIME + _ZONE, re.IGNORECASE)
_EXCEL_EPOCH = datetime(1899, 12, 30)
_EXCEL_SERIALS = (20_000, 80_000)  # 1954..2119: a number in this range in a date column


class Pending(NamedTuple):
    """A text date whose day and month are not known yet: ``first/second/year``."""

    first: int
    second: int
    year: int
    hour: int
    minute: int
    second_of_minute: int
    offset_minutes: int | None


When = date | Pending


@dataclass
class DateOrders:
    """Evidence for the file's day/month order, gathered while reading."""

    day_first: int = 0
    month_first: int = 0
    undecided: int = 0
    twelve_hour: int = 0
    _decided: DateOrder | None = field(default=None, repr=False)

    def note(self, pending: Pending, twelve_hour: bool) -> None:
        if pending.first > 12 >= pending.second:
            self.day_first += 1
        elif pending.second > 12 >= pending.first:
            self.month_first += 1
        else:
            self.undecided += 1
        self.twelve_hour += twelve_hour

    @property
    def seen(self) -> bool:
        return bool(self.day_first or self.month_first or self.undecided)

    def decide(self) -> DateOrder | None:
        """The order for the whole file (None when no date was ambiguous text).

        The majority of the values with a part over 12 wins; with none, 12-hour times (AM/PM)
        suggest the US month-first layout, otherwise day-first (Vietnamese).
        """
        if not self.seen:
            return None
        if self.day_first != self.month_first:
            return "day_first" if self.day_first > self.month_first else "month_first"
        return "month_first" if self.twelve_hour > self.undecided / 2 else "day_first"


def _hour(text: str | None, marker: str | None) -> int:
    hour = int(text or 0)
    if marker is None:
        return hour
    afternoon = marker.upper() in ("PM", "CH")
    return hour % 12 + (12 if afternoon else 0)


def _offset(text: str | None) -> int | None:
    if text is None:
        return None
    if text.upper() in ("Z", "UTC", "GMT"):
        return 0
    digits = text[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:])
    return -minutes if text[0] == "-" else minutes


def _local_day(moment: datetime, offset_minutes: int | None, tz: tzinfo) -> date:
    if offset_minutes is None:
        return moment.date()
    aware = moment.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    return aware.astimezone(tz).date()


def read_when(value: object, tz: tzinfo, orders: DateOrders) -> When | None:
    """The business day of a cell, a ``Pending`` text date, or None when unreadable."""
    if isinstance(value, datetime):
        return value.astimezone(tz).date() if value.tzinfo is not None else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if _EXCEL_SERIALS[0] <= value <= _EXCEL_SERIALS[1]:
            return (_EXCEL_EPOCH + timedelta(days=float(value))).date()
        return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    match = _YEAR_FIRST.fullmatch(text)
    if match is not None:
        year, month, day, hh, mm, ss, marker, zone = match.groups()
        try:
            moment = datetime(
                int(year), int(month), int(day), _hour(hh, marker), int(mm or 0), int(ss or 0)
            )
        except ValueError:
            return None
        return _local_day(moment, _offset(zone), tz)
    match = _YEAR_LAST.fullmatch(text)
    if match is None:
        return None
    first, second, year, hh, mm, ss, marker, zone = match.groups()
    pending = Pending(
        int(first),
        int(second),
        int(year),
        _hour(hh, marker),
        int(mm or 0),
        int(ss or 0),
        _offset(zone),
    )
    if pending.first > 12 and pending.second > 12:
        return None
    orders.note(pending, marker is not None)
    return pending


def resolve(when: When, order: DateOrder | None, tz: tzinfo) -> date | None:
    """The business day of a read value once the file's order is known (None: impossible)."""
    if not isinstance(when, Pending):
        return when
    day, month = (when.first, when.second) if order != "month_first" else (when.second, when.first)
    try:
        moment = datetime(when.year, month, day, when.hour, when.minute, when.second_of_minute)
    except ValueError:
        return None
    return _local_day(moment, when.offset_minutes, tz)
