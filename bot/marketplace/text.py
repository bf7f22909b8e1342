"""Comparing header and status texts, and reading numbers written as text.

Headers are compared in three tiers so that two columns differing only by capitalisation
(or accents) each bind to exactly one name: the exact text (NFC, trimmed, runs of spaces as
one), then without case, then also without accents (``bot.domain.text_norm``).
"""

from __future__ import annotations

import math
import re
import unicodedata
from decimal import Decimal

from bot.domain.text_norm import normalize as folded

__all__ = ["caseless", "cell_text", "exact", "folded", "parse_number"]


def exact(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def caseless(text: str) -> str:
    return exact(text).casefold()


def cell_text(value: object) -> str:
    """A cell as trimmed text ('' for an empty cell); whole floats lose their '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


_CURRENCY = re.compile(r"(?i)vn[dđ]|[₫đ$€]|\s")
_DIGITS = re.compile(r"[0-9]+(?:[.,][0-9]+)*")


def parse_number(value: object) -> float | None:
    """A number from a cell: numbers as they are, text in Vietnamese or English style.

    "1.250.000", "1,250,000", "1.250.000 ₫", "12,5", "12.50", "(1.000)" are read; with one
    separator followed by exactly three digits it is a thousands separator ("1.250" is 1250).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        number = float(value)
        return number if math.isfinite(number) else None
    if not isinstance(value, str):
        return None
    text = _CURRENCY.sub("", value)
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    if text.startswith(("-", "+")):
        negative, text = text[0] == "-", text[1:]
    if not text or _DIGITS.fullmatch(text) is None:
        return None
    number = float(_plain_digits(text))
    return -number if negative else number


def _plain_digits(text: str) -> str:
    dots, commas = text.count("."), text.count(",")
    if dots and commas:
        decimal = "." if text.rfind(".") > text.rfind(",") else ","
        thousands = "," if decimal == "." else "."
        return text.replace(thousands, "").replace(decimal, ".")
    if not dots and not commas:
        return text
    separator = "." if dots else ","
    if dots + commas > 1:
        return text.replace(separator, "")
    whole, fraction = text.split(separator)
    if len(fraction) == 3 and whole != "0":
        return whole + fraction
    return f"{whole}.{fraction}"
