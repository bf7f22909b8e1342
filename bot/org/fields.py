"""The building blocks of the org file: strict models and the scalar types its sections use.

Times of day ("10:30"), weekly and monthly times ("mon 09:00", "1 09:00"), formulas, codes and
campaign dates are parsed here, each with a message that says what was expected.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated, Literal, NamedTuple

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
)

from bot.org.formula import Comparison, Formula, FormulaError

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_HHMM_RE = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_clock_time(value: object) -> time:
    if isinstance(value, time):
        return value
    if not isinstance(value, str):
        raise ValueError('expected a time of day such as "10:30" (quote it in YAML)')
    match = _HHMM_RE.match(value.strip())
    if match is None:
        raise ValueError(f'expected HH:MM such as "10:30", got {value!r}')
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23:
        raise ValueError(f"hour must be 00-23, got {hour} in {value!r}")
    if minute > 59:
        raise ValueError(f"minute must be 00-59, got {minute} in {value!r}")
    return time(hour, minute)


def _format_clock_time(value: time) -> str:
    return value.strftime("%H:%M")


ClockTime = Annotated[
    time,
    PlainValidator(parse_clock_time),
    PlainSerializer(_format_clock_time, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,2}:\d{2}$"}),
]


class WeeklyTime(NamedTuple):
    weekday: int  # Monday is 0, as in date.weekday()
    at: time

    def __str__(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {_format_clock_time(self.at)}"


class MonthlyTime(NamedTuple):
    day: int
    at: time

    def __str__(self) -> str:
        return f"{self.day} {_format_clock_time(self.at)}"


def _split_day_and_time(value: object, example: str) -> tuple[str, time]:
    if not isinstance(value, str) or len(value.split()) != 2:
        raise ValueError(f'expected "{example}", got {value!r}')
    day, at = value.split()
    return day.lower(), parse_clock_time(at)


def _parse_weekly(value: object) -> WeeklyTime:
    if isinstance(value, WeeklyTime):
        return value
    day, at = _split_day_and_time(value, "mon 09:00")
    if day not in WEEKDAYS:
        raise ValueError(f"weekday must be one of {', '.join(WEEKDAYS)}, got {day!r}")
    return WeeklyTime(WEEKDAYS.index(day), at)


def _parse_monthly(value: object) -> MonthlyTime:
    if isinstance(value, MonthlyTime):
        return value
    day, at = _split_day_and_time(value, "1 09:00")
    # Days past 28 would silently skip February.
    if not day.isdigit() or not 1 <= int(day) <= 28:
        raise ValueError(f"day of month must be 1-28, got {day!r}")
    return MonthlyTime(int(day), at)


WeeklyAt = Annotated[
    WeeklyTime,
    PlainValidator(_parse_weekly),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string"}),
]
MonthlyAt = Annotated[
    MonthlyTime,
    PlainValidator(_parse_monthly),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string"}),
]


def _parse_formula(value: object) -> Formula:
    if isinstance(value, Formula):
        return value
    if not isinstance(value, str):
        raise ValueError("expected a formula such as: gmv / orders")
    try:
        return Formula.parse(value)
    except FormulaError as exc:
        raise ValueError(f"invalid formula {value!r}: {exc}") from None


def _parse_comparison(value: object) -> Comparison:
    if isinstance(value, Comparison):
        return value
    if not isinstance(value, str):
        raise ValueError("expected a check such as: nmv <= gmv")
    try:
        return Comparison.parse(value)
    except FormulaError as exc:
        raise ValueError(f"invalid check {value!r}: {exc}") from None


FormulaField = Annotated[
    Formula,
    PlainValidator(_parse_formula),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string"}),
]
ComparisonField = Annotated[
    Comparison,
    PlainValidator(_parse_comparison),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string"}),
]

Code = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
        description="letters, digits, '-', '_' or '.', at most 64 characters",
    ),
]
# Metric keys appear in formulas, so they must be valid formula names.
MetricKey = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Text = Annotated[str, Field(min_length=1, max_length=200)]
Number = Annotated[float, Field(allow_inf_nan=False)]
Platform = Literal["shopee", "tiktok", "lazada", "tiki", "pos", "web", "other"]
Unit = Literal["money", "count", "percent", "hours", "number"]
Locale = Literal["vi", "en"]
Severity = Literal["info", "warning", "critical"]
Recipient = Literal["owners", "manager", "bod"]
FieldType = Literal["text", "choice", "number", "money", "date", "store", "photo", "file", "link"]


def _parse_campaign_date(value: object) -> str:
    """A campaign day: "11-11" (every year) or "2026-11-11" (that year only)."""
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise ValueError('expected a date such as "11-11" (every year) or "2026-11-11"')
    text = value.strip()
    parts = text.split("-")
    try:
        if len(parts) == 2:
            date(2024, int(parts[0]), int(parts[1]))  # a leap year: "02-29" is a real day
            return f"{int(parts[0]):02d}-{int(parts[1]):02d}"
        if len(parts) == 3:
            return date(int(parts[0]), int(parts[1]), int(parts[2])).isoformat()
    except ValueError:
        raise ValueError(f"{value!r} is not a day of the calendar") from None
    raise ValueError(f'expected "MM-DD" such as "11-11" or "YYYY-MM-DD", got {value!r}')


CampaignDate = Annotated[
    str, PlainValidator(_parse_campaign_date), WithJsonSchema({"type": "string"})
]
DayWeight = Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)]
