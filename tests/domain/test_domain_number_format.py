"""Canonical display of values and the format -> parse round trip."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.number_format import format_number
from bot.domain.numbers import format_compact, format_value, parse_number
from bot.org.fields import Unit


@pytest.mark.parametrize(
    ("value", "unit", "vi", "en"),
    [
        (12_500_000, "money", "12.500.000 ₫", "12,500,000 ₫"),
        (0, "money", "0 ₫", "0 ₫"),
        (1234.5, "money", "1.234,5 ₫", "1,234.5 ₫"),
        (85, "count", "85", "85"),
        (1200, "count", "1.200", "1,200"),
        (3.2, "percent", "3,2%", "3.2%"),
        (15, "percent", "15%", "15%"),
        (2.5, "hours", "2,5 giờ", "2.5 h"),
        (3, "hours", "3 giờ", "3 h"),
        (4.25, "number", "4,25", "4.25"),
        (1500, "number", "1500", "1500"),  # one group would read back as 1.5
        (1_500_000, "percent", "1.500.000%", "1,500,000%"),
        (2.675, "number", "2,68", "2.68"),  # half up, as typed
        (1 / 3, "hours", "0,33 giờ", "0.33 h"),
        (-1_500, "money", "-1.500 ₫", "-1,500 ₫"),
        (-0.001, "number", "0", "0"),
    ],
)
def test_format_value(value: float, unit: Unit, vi: str, en: str) -> None:
    assert format_value(value, unit) == vi
    assert format_value(value, unit, "vi") == vi
    assert format_value(value, unit, "en") == en


def test_count_word_and_integer_rounding() -> None:
    assert format_value(85, "count", unit_label="đơn") == "85 đơn"
    assert format_value(85.4, "count", integer=True) == "85"
    assert format_value(2.5, "money", integer=True) == "3 ₫"


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_values_show_a_dash(value: float) -> None:
    assert format_value(value, "money") == "—"
    assert format_compact(value) == "—"
    assert format_number(value) == "—"


@pytest.mark.parametrize(
    ("value", "vi", "en"),
    [
        (12_500_000, "12,5tr", "12.5M"),
        (1_200_000_000, "1,2 tỷ", "1.2B"),
        (1_250_000_000, "1,25 tỷ", "1.25B"),
        (350_000, "350k", "350K"),
        (12_345_678, "12,3tr", "12.3M"),
        (999_960, "1tr", "1M"),  # never "1000k"
        (1_250_000_000_000, "1250 tỷ", "1250B"),
        (850, "850", "850"),
        (5.5, "5,5", "5.5"),
        (0, "0", "0"),
        (-12_500_000, "-12,5tr", "-12.5M"),
    ],
)
def test_format_compact(value: float, vi: str, en: str) -> None:
    assert format_compact(value) == vi
    assert format_compact(value, "en") == en


# --- round trips --------------------------------------------------------------------------------

locales = st.sampled_from(["vi", "en"])


@settings(max_examples=500, deadline=None)
@given(amount=st.integers(min_value=0, max_value=10**15), locale=locales)
def test_money_and_counts_round_trip(amount: int, locale: str) -> None:
    # Beyond the sanity ceilings only under an org maximum (10¹⁵ here), as the forms pass it.
    top = 10**15
    assert parse_number(format_value(amount, "money", locale), "money", maximum=top) == amount
    text = format_value(amount, "count", locale)
    assert parse_number(text, "count", integer=True, maximum=top) == amount
    text = format_value(amount, "count", locale, unit_label="đơn")
    assert parse_number(text, "count", integer=True, maximum=top) == amount


@settings(max_examples=500, deadline=None)
@given(
    hundredths=st.integers(min_value=0, max_value=10**12),
    unit=st.sampled_from(["money", "count", "percent", "hours", "number"]),
    locale=locales,
)
def test_two_decimal_values_round_trip_in_every_unit(
    hundredths: int, unit: Unit, locale: str
) -> None:
    value = float(Decimal(hundredths) / 100)
    assert parse_number(format_value(value, unit, locale), unit, maximum=1e10) == value


@settings(max_examples=300, deadline=None)
@given(amount=st.integers(min_value=1, max_value=10**13), locale=locales)
def test_compact_reads_back_within_its_rounding(amount: int, locale: str) -> None:
    read = parse_number(format_compact(amount, locale), "money")
    assert math.isclose(read, amount, rel_tol=0.01)
