"""Canonical display of values: ``12.500.000 ₫``, ``3,2%``, ``2,5 giờ`` (vi) and the en forms.

Every canonical form reads back through ``parse_number`` to the same value (for up to two
decimals). That is why percent, hours and plain numbers are grouped only from a million up: a
single group (``1.500``) would read back as a decimal for those units.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, localcontext

from bot.org.fields import Unit

__all__ = ["format_compact", "format_number", "format_value"]

_MAX_DECIMALS = 2
_UNGROUPED_BELOW = 1_000_000
_SEPARATORS = {"vi": (".", ","), "en": (",", ".")}  # (thousands, decimal point)
_HOURS = {"vi": " giờ", "en": " h"}
# (scale, vi suffix, en suffix), largest first.
_COMPACT_TIERS = ((1e9, " tỷ", "B"), (1e6, "tr", "M"), (1e3, "k", "K"), (1.0, "", ""))
NO_VALUE = "—"


def _rounded(value: float, decimals: int) -> tuple[bool, str, str]:
    """(negative, whole digits, fraction digits without trailing zeros), rounded half up."""
    # repr gives the shortest decimal that round-trips, so 2.675 rounds as typed, to 2.68.
    with localcontext() as context:
        context.prec = 400  # enough for any finite float
        exact = Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    whole, _, fraction = f"{abs(exact):f}".partition(".")
    fraction = fraction.rstrip("0")
    negative = exact < 0 and (whole != "0" or bool(fraction))
    return negative, whole, fraction


def _group(digits: str, separator: str) -> str:
    head = len(digits) % 3 or 3
    groups = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return separator.join(groups)


def format_number(
    value: float, locale: str = "vi", *, decimals: int = _MAX_DECIMALS, group: bool = True
) -> str:
    """``1234567.5`` -> ``1.234.567,5`` (vi) / ``1,234,567.5`` (en); at most ``decimals``."""
    if not math.isfinite(value):
        return NO_VALUE
    thousands, point = _SEPARATORS.get(locale, _SEPARATORS["vi"])
    negative, whole, fraction = _rounded(value, decimals)
    text = _group(whole, thousands) if group else whole
    if fraction:
        text += point + fraction
    return "-" + text if negative else text


def format_value(
    value: float,
    unit: Unit,
    locale: str = "vi",
    *,
    integer: bool = False,
    unit_label: str | None = None,
) -> str:
    """The canonical text of a value: ``12.500.000 ₫``, ``85 đơn``, ``3,2%``, ``2,5 giờ``."""
    if not math.isfinite(value):
        return NO_VALUE
    group = unit in ("money", "count") or abs(value) >= _UNGROUPED_BELOW
    number = format_number(value, locale, decimals=0 if integer else _MAX_DECIMALS, group=group)
    if unit == "money":
        return number + " ₫"
    if unit == "percent":
        return number + "%"
    if unit == "hours":
        return number + _HOURS.get(locale, _HOURS["vi"])
    if unit == "count" and unit_label:
        return f"{number} {unit_label}"
    return number


def _compact_decimals(mantissa: float) -> int:
    # Three significant digits are plenty on a chart axis or in a caption.
    return 2 if mantissa < 10 else 1 if mantissa < 100 else 0


def format_compact(value: float, locale: str = "vi") -> str:
    """Short form for charts and captions: ``12,5tr``, ``1,2 tỷ``, ``350k`` / ``12.5M``..."""
    if not math.isfinite(value):
        return NO_VALUE
    size = abs(value)
    tier = next((i for i, t in enumerate(_COMPACT_TIERS) if size >= t[0]), len(_COMPACT_TIERS) - 1)
    scale, vi_suffix, en_suffix = _COMPACT_TIERS[tier]
    mantissa = size / scale
    _, whole, fraction = _rounded(mantissa, _compact_decimals(mantissa))
    if len(whole) > 3 and tier > 0:  # 999.96k rounds to "1000k": say "1tr"
        scale, vi_suffix, en_suffix = _COMPACT_TIERS[tier - 1]
        mantissa = size / scale
        _, whole, fraction = _rounded(mantissa, _compact_decimals(mantissa))
    point = _SEPARATORS.get(locale, _SEPARATORS["vi"])[1]
    text = whole + (point + fraction if fraction else "")
    if whole == "0" and not fraction:
        return "0"
    sign = "-" if value < 0 else ""
    return sign + text + (en_suffix if locale == "en" else vi_suffix)
