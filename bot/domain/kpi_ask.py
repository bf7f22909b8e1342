"""Reading "/kpi <subject> [period]": which subject and which period, and the period's short
code carried by the buttons ("w" this week, "m" this month, or "YYYY-MM")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.domain.periods import Period, month_period, parse_period, week_period

_MONTH_LIKE = re.compile(r"^\d{4}-\d{1,2}$")
_PERIOD_WORDS = frozenset({"week", "month", "tuan", "tuần", "thang", "tháng"})
ALL_WORDS = frozenset({"all", "tat ca", "tất cả", "*"})


@dataclass(frozen=True)
class Ask:
    """What the member asked for, in the words of the command."""

    text: str
    period: Period
    code: str  # the period as a button code: "w", "m" or "YYYY-MM"

    @property
    def wants_everything(self) -> bool:
        return self.text.lower() in ALL_WORDS


def period_of_code(code: str, today: date) -> Period | None:
    if code == "w":
        return week_period(today)
    if code == "m":
        return month_period(today.year, today.month)
    return parse_period(code, today)


def code_of(period: Period, today: date) -> str:
    if period.kind == "week":
        return "w"
    return "m" if period.start == month_period(today.year, today.month).start else period.label


def read_args(args: str | None, today: date) -> Ask | str:
    """Split "<subject> [period]"; a string is the text of a period that could not be read."""
    words = (args or "").split()
    period = month_period(today.year, today.month)
    if words:
        last = words[-1]
        parsed = parse_period(last, today) if len(words) > 1 or _is_period_word(last) else None
        if parsed is not None:
            period, words = parsed, words[:-1]
        elif _MONTH_LIKE.match(last):
            return last
    return Ask(" ".join(words), period, code_of(period, today))


def _is_period_word(word: str) -> bool:
    return word.lower() in _PERIOD_WORDS or bool(_MONTH_LIKE.match(word))


def last_month_label(today: date) -> str:
    """The month before ``today``'s, as "YYYY-MM" (an example that has numbers)."""
    first = month_period(today.year, today.month).start
    previous = month_period(first.year, first.month - 1) if first.month > 1 else None
    return previous.label if previous else f"{first.year - 1}-12"
