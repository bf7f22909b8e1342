"""Reading the answers of the `/campaign new` form: dates, targets, codes, lists.

Dates the way people type them in chat (``12/12``, ``12/12/2026``, ``1/12-12/12``,
``1/12 đến 12/12``), targets as metric and amount pairs (``gmv 2 tỷ, orders 5000``), amounts
with the Vietnamese number reader. Errors carry a stable key the caller translates
(``campaign.error.<key>``) and shows with a valid example.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from bot.domain.numbers import NumberError, parse_number
from bot.domain.order_dates import DateError, parse_when
from bot.domain.text_norm import normalize
from bot.org.fields import Unit

MAX_DAYS = 120
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

# Error keys.
BAD_CODE = "bad_code"
BAD_DATES = "bad_dates"
BACKWARDS = "backwards"
TOO_LONG = "too_long"
ENDED = "ended"
BAD_TARGETS = "bad_targets"
UNKNOWN_METRIC = "unknown_metric"
BAD_NUMBER = "bad_number"

_RANGE = re.compile(r"\s*(?:\.\.|–|—|\s-\s|-(?=\d{1,2}[/.]\d)|\bden\b|\bto\b)\s*")
_TARGET_SPLIT = re.compile(r"\s*(?:[;\n]|,\s+(?=[^\d\s]))\s*")
_TARGET = re.compile(r"^([^\d:=]+?)\s*[:=]?\s*(\d.*)$")


class CampaignInputError(ValueError):
    def __init__(self, message_key: str, **params: str) -> None:
        self.message_key = message_key
        self.params = params
        super().__init__(message_key)


def read_code(text: str) -> str:
    code = text.strip()
    if CODE_RE.match(code) is None:
        raise CampaignInputError(BAD_CODE)
    return code


def _day(text: str, today: date) -> date:
    try:
        when = parse_when(text, today)
    except DateError:
        raise CampaignInputError(BAD_DATES) from None
    if when.at is not None:
        raise CampaignInputError(BAD_DATES)
    return when.day


def read_dates(text: str, today: date) -> tuple[date, date]:
    """A range (or one day): the first and last day, both included; not over before today."""
    folded = normalize(text)
    parts = _RANGE.split(folded, maxsplit=1)
    if len(parts) == 2:
        first, last = _day(parts[0], today), _day(parts[1], today)
        if last < first and last.year == first.year and not re.search(r"\d{4}", parts[1]):
            last = last.replace(year=last.year + 1)  # 20/12-5/1: over the new year
    else:
        first = last = _day(folded, today)
    if last < first:
        raise CampaignInputError(BACKWARDS)
    if (last - first).days + 1 > MAX_DAYS:
        raise CampaignInputError(TOO_LONG, max=str(MAX_DAYS))
    if last < today:
        raise CampaignInputError(ENDED)
    return first, last


def read_amount(text: str, unit: Unit) -> float:
    try:
        return parse_number(text, unit)
    except NumberError:
        raise CampaignInputError(BAD_NUMBER, text=text.strip()) from None


def read_targets(
    text: str, metric_of: Callable[[str], tuple[str, Unit] | None]
) -> dict[str, float]:
    """``gmv 2 tỷ, orders 5000`` -> {"gmv": 2e9, "orders": 5000}; ``metric_of`` maps a typed
    name (key or alias) to the metric key and unit, None when unknown."""
    targets: dict[str, float] = {}
    for part in _TARGET_SPLIT.split(text.strip()):
        if not part:
            continue
        match = _TARGET.match(part)
        if match is None:
            raise CampaignInputError(BAD_TARGETS)
        name, amount = match.group(1).strip(), match.group(2)
        found = metric_of(name)
        if found is None:
            raise CampaignInputError(UNKNOWN_METRIC, name=name)
        key, unit = found
        value = read_amount(amount, unit)
        if value <= 0:
            raise CampaignInputError(BAD_NUMBER, text=amount.strip())
        targets[key] = value
    if not targets:
        raise CampaignInputError(BAD_TARGETS)
    return targets


def split_list(text: str) -> list[str]:
    """``HS-SHOPEE, TTSG`` / ``@lan @minh`` -> the items."""
    return [item for item in re.split(r"[\s,;]+", text.strip()) if item]
