"""Reading numbers the way people in Vietnamese shops type them.

Accepted, case- and accent-insensitively: ``12.500.000``, ``12 500 000``, ``12,5tr``,
``12.5 triệu``, ``12tr5`` (12.5 million), ``1,2 tỷ``, ``1ty2``, ``1 tỷ 200 triệu``, ``350k``,
``350 nghìn``, ``1.234,5``, ``1,234.5``, ``3,2%``, ``2h30``, currency (``đ``, ``₫``, ``vnd``) for
money and a count word (``85 đơn``, ``3.200 lượt``) for counts.

Separators follow the unit: a single ``.`` or ``,`` followed by exactly three digits groups
thousands for money and counts (``1.500`` -> 1500) but is a decimal point for percent, hours and
plain numbers (``1.500`` -> 1.5). Two or more of the same kind always group thousands; when both
kinds appear the last one is the decimal point. Before a multiplier a single separator is always
a decimal point (``1,500tr`` is 1.5 million): nobody writes 1500 million as "1.500tr".

Digits: any Unicode decimal digit is read like its ASCII digit (``１２３``, ``١٢٣``, ``१२३`` are
123, even mixed); other digit-like characters (``²``, ``①``) are not digits and are refused.
``-0`` is 0; any other number after a minus sign is refused as negative. Exponents (``1e5``),
``NaN`` and ``inf`` are not numbers here.

A value above the sanity ceiling of its unit (``CEILINGS``: 10¹³ ₫, 10⁹ for counts, 10⁴ % ...)
is refused as ``too_large`` unless the caller passes the org file's own ``maximum`` for the
field, which it then checks itself with its own message.

Errors are ``NumberError`` with a stable ``message_key`` (see ``ERROR_KEYS``) and its ``params``;
the caller translates them and shows ``examples_for(unit)``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from typing import Literal

from bot.domain.number_format import format_compact, format_value
from bot.domain.text_norm import normalize_with_positions
from bot.org.fields import Unit

__all__ = [
    "CEILINGS",
    "ERROR_KEYS",
    "MAX_INPUT_LENGTH",
    "NumberError",
    "ceiling_for",
    "examples_for",
    "format_compact",
    "format_value",
    "parse_decimal",
    "parse_number",
]

MAX_INPUT_LENGTH = 64

# Error keys; params in brackets.
EMPTY = "empty"  # nothing typed
TOO_LONG = "too_long"  # [max]
NOT_A_NUMBER = "not_a_number"  # no digits at all [text]
NEGATIVE = "negative"  # a minus sign before the number [text]
BAD_FORMAT = "bad_format"  # separators or symbols misplaced [text: the part at fault]
SEVERAL_NUMBERS = "several_numbers"  # e.g. "12 13" [text]
UNKNOWN_WORD = "unknown_word"  # letters that mean nothing here [word]
WRONG_SUFFIX = "wrong_suffix"  # a known suffix of another unit, e.g. "5%" for money [word]
NOT_INTEGER = "not_integer"  # "85,5" for a whole-number field [text]
TOO_LARGE = "too_large"  # above the unit's sanity ceiling, no org maximum given [text]
ERROR_KEYS = (
    EMPTY,
    TOO_LONG,
    NOT_A_NUMBER,
    NEGATIVE,
    BAD_FORMAT,
    SEVERAL_NUMBERS,
    UNKNOWN_WORD,
    WRONG_SUFFIX,
    NOT_INTEGER,
    TOO_LARGE,
)

# The largest value a field of each unit may take when the org file sets no maximum: far above
# any real daily figure (10¹³ ₫ is ten trillion đồng), low enough to catch a pasted row of nines.
CEILINGS: dict[Unit, Decimal] = {
    "money": Decimal(10) ** 13,
    "count": Decimal(10) ** 9,
    "percent": Decimal(10) ** 4,
    "hours": Decimal(10) ** 6,
    "number": Decimal(10) ** 13,
}


def ceiling_for(unit: Unit) -> float:
    """The sanity ceiling of ``unit`` (see ``CEILINGS``)."""
    return float(CEILINGS[unit])


class NumberError(ValueError):
    """The text is not a valid number for the unit; ``message_key`` names the reason."""

    def __init__(self, message_key: str, params: Mapping[str, str | int] | None = None) -> None:
        self.message_key = message_key
        self.params: dict[str, str | int] = dict(params or {})
        super().__init__(f"{message_key} {self.params}" if self.params else message_key)


_EXAMPLES: dict[str, tuple[str, str]] = {
    "money": ("12,5tr", "12.500.000"),
    "count": ("85", "1.200"),
    "percent": ("3,2%", "15"),
    "hours": ("2,5", "3"),
    "number": ("4,5", "12"),
}


def examples_for(unit: Unit) -> tuple[str, str]:
    """Two valid inputs for the unit, to show next to an error."""
    return _EXAMPLES[unit]


# --- vocabulary (folded: lower case, no accents, "đ" -> "d") ---------------------------------

_SCALES: dict[str, int] = {
    "k": 3, "nghin": 3, "ngan": 3, "thousand": 3,
    "tr": 6, "trieu": 6, "m": 6, "cu": 6, "mn": 6, "million": 6,
    "ty": 9, "ti": 9, "b": 9, "bn": 9, "billion": 9,
}  # fmt: skip
_CURRENCY = frozenset({"d", "vnd", "dong", "₫"})
_PERCENT = frozenset({"%", "phan tram", "percent"})
_HOUR_WORDS = frozenset({"h", "g", "gio", "tieng", "hr", "hrs", "hour", "hours"})
_MINUTE_WORDS = frozenset({"p", "ph", "phut", "m", "min", "mins", "minute", "minutes"})
_COUNT_WORDS = frozenset({
    "don", "don hang", "luot", "luot xem", "luot truy cap", "truy cap", "view", "views",
    "visit", "visits", "order", "orders", "phien", "phien live", "session", "sessions", "live",
    "video", "videos", "clip", "clips", "bai", "bai dang", "post", "posts", "cai", "chiec",
    "sp", "san pham", "item", "items", "koc", "banner", "banners", "thiet ke", "design",
    "designs", "nguoi", "lan",
})  # fmt: skip
_SUFFIXES: dict[str, frozenset[str]] = {
    "money": _CURRENCY,
    "count": _COUNT_WORDS,
    "percent": _PERCENT,
    "hours": frozenset(),  # hour and minute words are read with the number itself
    "number": frozenset(),
}
_SCALED_UNITS = frozenset({"money", "count", "number"})
_THOUSANDS_FIRST_UNITS = frozenset({"money", "count"})
_KNOWN_PHRASES = set(_SCALES) | _CURRENCY | _PERCENT | _HOUR_WORDS | _MINUTE_WORDS | _COUNT_WORDS
_KNOWN_WORDS = frozenset(word for phrase in _KNOWN_PHRASES for word in phrase.split())
_SIGNS = frozenset("-−–—‐‑")
_TRAILING_PUNCTUATION = frozenset(".,;:!?…")

_TOKEN_RE = re.compile(
    r"(?P<num>[0-9]+(?:(?:[.,]| (?=[0-9]))[0-9]+)*)|(?P<word>[^\W\d_]+)|(?P<space> )|(?P<other>.)",
    re.DOTALL,
)
_GROUP_RE = re.compile(r"[0-9]{1,3}")
_LAST_SPACED_GROUP_RE = re.compile(r"([0-9]{3})(?:[.,]([0-9]+))?")
_FRACTION_RE = re.compile(r"[0-9]{1,3}")
_MINUTES_RE = re.compile(r"[0-9]{1,2}")


# --- tokens -------------------------------------------------------------------------------------

Kind = Literal["num", "word", "sign", "other"]


@dataclass(frozen=True)
class _Token:
    kind: Kind
    text: str  # folded
    source: str  # as typed, to quote back in errors


def _ascii_digits(text: str) -> str:
    """Every Unicode decimal digit as its ASCII digit, one character for one."""
    return "".join(
        str(unicodedata.decimal(c)) if not c.isascii() and c.isdecimal() else c for c in text
    )


def _tokenize(text: str) -> list[_Token]:
    folded, positions = normalize_with_positions(text)
    folded = _ascii_digits(folded)
    tokens: list[_Token] = []
    for match in _TOKEN_RE.finditer(folded):
        kind = match.lastgroup
        if kind == "space":
            continue
        start, end = match.span()
        source = text[positions[start] : positions[end - 1] + 1]
        tokens.extend(_classify(kind, match.group(), source))
    while tokens and tokens[-1].kind == "other" and tokens[-1].text in _TRAILING_PUNCTUATION:
        tokens.pop()  # "12tr." is a sentence ending, not part of the number
    return tokens


def _classify(kind: str | None, text: str, source: str) -> list[_Token]:
    if kind == "num":
        return [_Token("num", text, source)]
    if kind == "word":
        parts = [] if text in _KNOWN_WORDS else _split_glued(text)
        if parts:
            return [_Token("word", part, part) for part in parts]
        return [_Token("word", text, source)]
    if text in ("%", "₫"):
        return [_Token("word", text, source)]
    if text in _SIGNS:
        return [_Token("sign", text, source)]
    return [_Token("other", text, source)]


def _split_glued(word: str) -> list[str]:
    """``trd`` -> [``tr``, ``d``]: a multiplier typed together with the currency or unit."""
    for cut in range(1, len(word)):
        head, tail = word[:cut], word[cut:]
        if head in _KNOWN_WORDS and tail in _KNOWN_WORDS:
            return [head, tail]
    return []


class _Reader:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.index = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def peek_word(self, words: Mapping[str, object] | frozenset[str]) -> str | None:
        token = self.peek()
        return token.text if token and token.kind == "word" and token.text in words else None

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def take_num(self) -> _Token | None:
        token = self.peek()
        return self.take() if token and token.kind == "num" else None

    def rest(self) -> list[_Token]:
        return self.tokens[self.index :]


# --- numerals -----------------------------------------------------------------------------------


def _numeral(text: str, *, single_groups_thousands: bool) -> Decimal:
    """One run of digits and separators, e.g. ``12.500.000``, ``1.234,5``, ``12 500``."""
    if " " in text:
        return _spaced(text)
    separators = [c for c in text if c in ".,"]
    if not separators:
        return Decimal(text)
    if len(set(separators)) == 2:
        point = separators[-1]
        if separators.count(point) != 1:
            raise NumberError(BAD_FORMAT, {"text": text})
        whole, fraction = text.rsplit(point, 1)
        grouping = "," if point == "." else "."
        return _grouped(whole, grouping) + Decimal("0." + fraction)
    separator = separators[0]
    if len(separators) > 1:
        return _grouped(text, separator)
    whole, fraction = text.split(separator)
    if single_groups_thousands and len(fraction) == 3 and len(whole) <= 3 and whole[0] != "0":
        return Decimal(whole + fraction)
    return Decimal(f"{whole}.{fraction}")


def _grouped(text: str, separator: str) -> Decimal:
    head, *groups = text.split(separator)
    if not _GROUP_RE.fullmatch(head) or any(len(group) != 3 for group in groups):
        raise NumberError(BAD_FORMAT, {"text": text})
    return Decimal(head + "".join(groups))


def _spaced(text: str) -> Decimal:
    """Spaces group thousands (``12 500 000``); anything else with spaces is several numbers."""
    *groups, last = text.split(" ")
    tail = _LAST_SPACED_GROUP_RE.fullmatch(last)
    valid = (
        tail is not None
        and _GROUP_RE.fullmatch(groups[0]) is not None
        and all(len(group) == 3 and group.isdigit() for group in groups[1:])
    )
    if not valid or tail is None:
        if all(group.isdigit() for group in (*groups, last)):
            raise NumberError(SEVERAL_NUMBERS, {"text": text})
        raise NumberError(BAD_FORMAT, {"text": text})
    whole = Decimal("".join(groups) + tail.group(1))
    return whole + Decimal("0." + tail.group(2)) if tail.group(2) else whole


# --- grammar ------------------------------------------------------------------------------------


def _read_amount(reader: _Reader, unit: Unit, first: _Token) -> Decimal:
    """``12,5``, ``12,5tr``, ``12tr5``, ``1 tỷ 200 triệu``: scales must decrease."""
    scales = _SCALES if unit in _SCALED_UNITS else {}
    total = Decimal(0)
    previous: Decimal | None = None
    number: _Token | None = first
    while number is not None:
        word = reader.peek_word(scales)
        if word is None:
            if previous is None:
                return _numeral(number.text, single_groups_thousands=unit in _THOUSANDS_FIRST_UNITS)
            return total + _trailing_digits(number) * previous
        reader.take()
        scale = Decimal(10) ** _SCALES[word]
        amount = _numeral(number.text, single_groups_thousands=False) * scale
        if previous is not None and (scale >= previous or amount >= previous):
            raise NumberError(BAD_FORMAT, {"text": number.source})
        total += amount
        previous = scale
        number = reader.take_num()
    return total


def _trailing_digits(number: _Token) -> Decimal:
    """The digits after a multiplier continue it: ``12tr5`` is 12.5tr, ``1 tỷ 25`` 1.25 tỷ."""
    if not _FRACTION_RE.fullmatch(number.text):
        several = " " in number.text and number.text.replace(" ", "").isdigit()
        raise NumberError(SEVERAL_NUMBERS if several else BAD_FORMAT, {"text": number.source})
    return Decimal("0." + number.text)


def _read_hours(reader: _Reader, first: _Token) -> Decimal:
    """``2,5``, ``2,5 giờ``, ``2h30``, ``2 giờ 30 phút``, ``90 phút``."""
    hours = _numeral(first.text, single_groups_thousands=False)
    if reader.peek_word(_MINUTE_WORDS):
        reader.take()
        return hours / 60
    if not reader.peek_word(_HOUR_WORDS):
        return hours
    reader.take()
    minutes = reader.take_num()
    if minutes is None:
        return hours
    if hours != hours.to_integral_value() or not _MINUTES_RE.fullmatch(minutes.text):
        raise NumberError(BAD_FORMAT, {"text": f"{first.source} {minutes.source}"})
    if int(minutes.text) >= 60:
        raise NumberError(BAD_FORMAT, {"text": minutes.source})
    if reader.peek_word(_MINUTE_WORDS):
        reader.take()
    return hours + Decimal(int(minutes.text)) / 60


def _check_rest(rest: list[_Token], unit: Unit, text: str) -> None:
    """Whatever follows the number must be one suffix allowed for the unit."""
    if not rest:
        return
    if any(token.kind == "num" for token in rest):
        raise NumberError(SEVERAL_NUMBERS, {"text": text})
    if any(token.kind != "word" for token in rest):
        raise NumberError(BAD_FORMAT, {"text": text})
    if " ".join(token.text for token in rest) in _SUFFIXES[unit]:
        return
    for token in rest:
        if token.text not in _KNOWN_WORDS:
            raise _unexpected(token, text)
    raise NumberError(WRONG_SUFFIX, {"word": " ".join(token.source for token in rest)})


def _unexpected(token: _Token, text: str) -> NumberError:
    if token.kind != "word":
        return NumberError(BAD_FORMAT, {"text": text})
    if token.text in _KNOWN_WORDS:
        return NumberError(WRONG_SUFFIX, {"word": token.source})
    return NumberError(UNKNOWN_WORD, {"word": token.source})


def _check_signs(tokens: list[_Token], text: str) -> bool:
    """True when the text starts with one minus sign right before the number: the value then
    decides (``-0`` is 0, anything else negative). Any other sign or symbol is refused."""
    first_number = next(i for i, token in enumerate(tokens) if token.kind == "num")
    for index, token in enumerate(tokens):
        if token.kind == "sign":
            if index == 0 and first_number == 1:
                continue
            raise NumberError(NEGATIVE if index < first_number else BAD_FORMAT, {"text": text})
        if token.kind == "other":
            raise NumberError(BAD_FORMAT, {"text": text})
    return tokens[0].kind == "sign"


def _check_characters(text: str, tokens: list[_Token]) -> None:
    """Digit-like characters that are not decimal digits (``²``, ``①``) and exponents
    (``1e309``) are not part of a number as people type one here."""
    if any(c.isdigit() and not c.isdecimal() for c in text):
        if not any(c.isdecimal() for c in text):
            raise NumberError(NOT_A_NUMBER, {"text": text})
        raise NumberError(BAD_FORMAT, {"text": text})
    for before, token in pairwise(tokens):
        if before.kind == "num" and token.kind == "word" and token.text == "e":
            raise NumberError(BAD_FORMAT, {"text": text})


def _read_value(tokens: list[_Token], unit: Unit, text: str) -> Decimal:
    reader = _Reader(tokens)
    if unit == "money" and reader.peek_word(_CURRENCY):
        reader.take()  # "VND 12,500,000"
    first = reader.take_num()
    if first is None:
        raise _unexpected(reader.take(), text)
    value = _read_hours(reader, first) if unit == "hours" else _read_amount(reader, unit, first)
    _check_rest(reader.rest(), unit, text)
    return value


def parse_decimal(
    text: str, unit: Unit, *, integer: bool = False, maximum: float | None = None
) -> Decimal:
    """Like ``parse_number`` but exact (``Decimal``)."""
    stripped = text.strip()
    if not stripped:
        raise NumberError(EMPTY)
    if len(stripped) > MAX_INPUT_LENGTH:
        raise NumberError(TOO_LONG, {"max": MAX_INPUT_LENGTH})
    tokens = _tokenize(stripped)
    if not any(token.kind == "num" for token in tokens):
        raise NumberError(NOT_A_NUMBER, {"text": stripped})
    _check_characters(stripped, tokens)
    if _check_signs(tokens, stripped):
        try:
            value = _read_value(tokens[1:], unit, stripped)
        except NumberError:
            value = Decimal(1)  # unreadable after a minus sign: negative, as typed
        if value != 0:
            raise NumberError(NEGATIVE, {"text": stripped})
        return Decimal(0)
    value = _read_value(tokens, unit, stripped)
    if maximum is None and value > CEILINGS[unit]:
        raise NumberError(TOO_LARGE, {"text": stripped})
    if integer and value != value.to_integral_value():
        raise NumberError(NOT_INTEGER, {"text": stripped})
    return value


def parse_number(
    text: str, unit: Unit, *, integer: bool = False, maximum: float | None = None
) -> float:
    """The value typed in ``text`` for a field of ``unit``; raises ``NumberError``.

    ``maximum`` is the org file's maximum for the field, when it sets one: the caller checks
    it (with its own message) and the unit's sanity ceiling (``CEILINGS``) is not applied.
    """
    value = float(parse_decimal(text, unit, integer=integer, maximum=maximum))
    if not math.isfinite(value):  # only reachable past a maximum far beyond any ceiling
        raise NumberError(TOO_LARGE, {"text": text.strip()})
    return value
