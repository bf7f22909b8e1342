"""Calendar months as plans and exports name them: ``2026-11`` (``11/2026`` is read too)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from bot.domain.text_norm import normalize

_YEAR_FIRST = re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})$")
_MONTH_FIRST = re.compile(r"^(?:t|thang|month)?\s*(\d{1,2})\s*[-/.\s]\s*(\d{4})$")
MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass(frozen=True, order=True)
class YearMonth:
    year: int
    month: int

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @classmethod
    def of(cls, day: date) -> YearMonth:
        return cls(day.year, day.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def days(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    def next(self) -> YearMonth:
        return YearMonth(self.year + (self.month == 12), self.month % 12 + 1)

    def label(self) -> str:
        """``11/2026``, the way both locales write a month."""
        return f"{self.month:02d}/{self.year:04d}"


def parse_month(text: str) -> YearMonth | None:
    """``2026-11``, ``2026/11``, ``11/2026``, ``T11/2026``, ``tháng 11/2026``; None otherwise."""
    folded = normalize(text)
    match = _YEAR_FIRST.match(folded)
    if match:
        year, month = int(match.group(1)), int(match.group(2))
    else:
        match = _MONTH_FIRST.match(folded)
        if match is None:
            return None
        month, year = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or not MIN_YEAR <= year <= MAX_YEAR:
        return None
    return YearMonth(year, month)
