"""Reading numbers as Vietnamese staff type them (``parse_number``)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.numbers import (
    CEILINGS,
    ERROR_KEYS,
    MAX_INPUT_LENGTH,
    NumberError,
    examples_for,
    parse_decimal,
    parse_number,
)
from bot.org.fields import Unit

UNITS: tuple[Unit, ...] = ("money", "count", "percent", "hours", "number")

ACCEPTED: list[tuple[str, Unit, float]] = [
    # plain digits and grouping
    ("0", "money", 0),
    ("85", "count", 85),
    ("12500000", "money", 12_500_000),
    ("12.500.000", "money", 12_500_000),
    ("12,500,000", "money", 12_500_000),
    ("12 500 000", "money", 12_500_000),
    ("12\u00a0500\u00a0000", "money", 12_500_000),  # no-break spaces from a spreadsheet
    ("12 500", "count", 12_500),
    ("  12.500.000  ", "money", 12_500_000),
    ("１２.５００", "money", 12_500),  # full-width digits
    # both separators: the last one is the decimal point
    ("1.234,5", "money", 1234.5),
    ("1,234.5", "money", 1234.5),
    ("1.234.567,89", "money", 1_234_567.89),
    ("1,234,567.89", "number", 1_234_567.89),
    ("1.234,5", "percent", 1234.5),
    # one separator with exactly three digits: thousands for money/count, decimal otherwise
    ("1.500", "money", 1500),
    ("1,500", "money", 1500),
    ("1.500", "count", 1500),
    ("1,500", "count", 1500),
    ("1.500", "percent", 1.5),
    ("1,500", "percent", 1.5),
    ("1.500", "hours", 1.5),
    ("1,500", "hours", 1.5),
    ("1.500", "number", 1.5),
    ("1,500", "number", 1.5),
    ("0.500", "money", 0.5),  # "0.500" cannot be a thousands group
    ("1234,567", "money", 1234.567),  # nor can a group after four digits
    # one separator with another number of digits: always a decimal point
    ("12,5", "money", 12.5),
    ("12.5", "money", 12.5),
    ("1,25", "count", 1.25),
    ("2,5", "hours", 2.5),
    ("1.5000", "money", 1.5),
    # two or more of one kind: thousands
    ("1.500.000", "number", 1_500_000),
    ("1,000,000", "hours", 1_000_000),
    # spaces with a decimal part
    ("1 234,5", "money", 1234.5),
    ("1 234.5", "number", 1234.5),
    # multipliers
    ("12,5tr", "money", 12_500_000),
    ("12.5tr", "money", 12_500_000),
    ("12.5 triệu", "money", 12_500_000),
    ("12,5 TRIỆU", "money", 12_500_000),
    ("12,5 trieu", "money", 12_500_000),
    ("12tr", "money", 12_000_000),
    ("12tr5", "money", 12_500_000),
    ("12tr500", "money", 12_500_000),
    ("12tr05", "money", 12_050_000),
    ("12 tr 5", "money", 12_500_000),
    ("12 triệu 500", "money", 12_500_000),
    ("12 triệu 500 nghìn", "money", 12_500_000),
    ("12tr500k", "money", 12_500_000),
    ("12m", "money", 12_000_000),
    ("12.5M", "money", 12_500_000),
    ("12 củ", "money", 12_000_000),
    ("1,2 tỷ", "money", 1_200_000_000),
    ("1,2 tỉ", "money", 1_200_000_000),
    ("1.2 ty", "money", 1_200_000_000),
    ("1ty2", "money", 1_200_000_000),
    ("1 tỷ 2", "money", 1_200_000_000),
    ("1 tỷ 25", "money", 1_250_000_000),
    ("1 tỷ 200 triệu", "money", 1_200_000_000),
    ("1 tỷ 2 triệu", "money", 1_002_000_000),
    ("1.2b", "money", 1_200_000_000),
    ("1.2B", "money", 1_200_000_000),
    ("350k", "money", 350_000),
    ("350K", "money", 350_000),
    ("350 nghìn", "money", 350_000),
    ("350 ngàn", "money", 350_000),
    ("350 nghin", "money", 350_000),
    ("1,500tr", "money", 1_500_000),  # before a multiplier a single separator is a decimal
    ("1.500k", "money", 1500),
    ("1.250.000k", "money", 1_250_000_000),
    ("1,5k", "count", 1500),
    ("1k2", "count", 1200),
    ("2,5k", "number", 2500),
    # currency
    ("12.500.000đ", "money", 12_500_000),
    ("12.500.000 đ", "money", 12_500_000),
    ("12.500.000 ₫", "money", 12_500_000),
    ("12.500.000₫", "money", 12_500_000),
    ("12.500.000 vnd", "money", 12_500_000),
    ("12.500.000 VNĐ", "money", 12_500_000),
    ("12.500.000 VND", "money", 12_500_000),
    ("12.500.000 đồng", "money", 12_500_000),
    ("12,5tr đ", "money", 12_500_000),
    ("12trđ", "money", 12_000_000),
    ("1,2 tỷ đồng", "money", 1_200_000_000),
    ("VND 12,500,000", "money", 12_500_000),
    ("₫12.500.000", "money", 12_500_000),
    # percent
    ("3,2%", "percent", 3.2),
    ("3.2%", "percent", 3.2),
    ("15 %", "percent", 15),
    ("15", "percent", 15),
    ("0,5 phần trăm", "percent", 0.5),
    ("150%", "percent", 150),  # the range is the caller's business
    # hours
    ("3", "hours", 3),
    ("2,5 giờ", "hours", 2.5),
    ("2.5 h", "hours", 2.5),
    ("2,5h", "hours", 2.5),
    ("3 tiếng", "hours", 3),
    ("2h30", "hours", 2.5),
    ("2h30p", "hours", 2.5),
    ("2 giờ 30 phút", "hours", 2.5),
    ("2g30", "hours", 2.5),
    ("90 phút", "hours", 1.5),
    ("45p", "hours", 0.75),
    ("1h", "hours", 1),
    # count words
    ("85 đơn", "count", 85),
    ("85 don", "count", 85),
    ("85đơn", "count", 85),
    ("85 đơn hàng", "count", 85),
    ("85 ĐƠN", "count", 85),
    ("3.200 lượt", "count", 3200),
    ("3.200 luot", "count", 3200),
    ("4 video", "count", 4),
    ("2 phiên", "count", 2),
    # sentence endings
    ("12tr.", "money", 12_000_000),
    ("85!", "count", 85),
]


@pytest.mark.parametrize(("text", "unit", "expected"), ACCEPTED)
def test_accepted_forms(text: str, unit: Unit, expected: float) -> None:
    assert parse_number(text, unit) == expected


REJECTED: list[tuple[str, Unit, str]] = [
    ("", "money", "empty"),
    ("   ", "count", "empty"),
    ("1" * (MAX_INPUT_LENGTH + 1), "money", "too_long"),
    ("abc", "money", "not_a_number"),
    ("không có", "count", "not_a_number"),
    ("...", "count", "not_a_number"),
    ("-5", "money", "negative"),
    ("-12,5tr", "money", "negative"),
    ("- 5", "count", "negative"),
    ("−5", "count", "negative"),  # U+2212 minus sign
    ("12 13", "count", "several_numbers"),
    ("12 5000", "money", "several_numbers"),
    ("2 30", "hours", "several_numbers"),
    ("12tr 13tr", "money", "bad_format"),
    ("12tr5 6", "money", "several_numbers"),
    ("85 đơn 3", "count", "several_numbers"),
    ("12abc", "money", "unknown_word"),
    ("khoảng 12tr", "money", "unknown_word"),
    ("12 đơn vị", "count", "unknown_word"),
    ("5%", "money", "wrong_suffix"),
    ("12tr", "percent", "wrong_suffix"),
    ("12tr", "hours", "wrong_suffix"),
    ("12 đ", "count", "wrong_suffix"),
    ("85 đơn", "money", "wrong_suffix"),
    ("2 giờ", "money", "wrong_suffix"),
    ("1.2.3", "money", "bad_format"),
    ("1.23.456", "money", "bad_format"),
    ("1.2345.678", "money", "bad_format"),
    ("1,2.5", "money", "bad_format"),
    ("1.234,5,6", "money", "bad_format"),
    ("12,,5", "money", "bad_format"),
    ("12-13", "money", "bad_format"),
    ("12/11", "count", "bad_format"),
    ("12 x 3", "money", "several_numbers"),
    ("1 tỷ 2500", "money", "bad_format"),
    ("1 triệu 2 tỷ", "money", "bad_format"),
    ("1 tỷ 1500 triệu", "money", "bad_format"),
    ("2h75", "hours", "bad_format"),
    ("2,5h30", "hours", "bad_format"),
    ("$12", "money", "bad_format"),
]


@pytest.mark.parametrize(("text", "unit", "key"), REJECTED)
def test_rejected_forms(text: str, unit: Unit, key: str) -> None:
    with pytest.raises(NumberError) as caught:
        parse_number(text, unit)
    assert caught.value.message_key == key
    assert key in ERROR_KEYS


@pytest.mark.parametrize(
    ("text", "unit"),
    [("85,5", "count"), ("85,5 đơn", "count"), ("1,2345k", "count"), ("2h20", "hours")],
)
def test_integer_fields_refuse_fractions(text: str, unit: Unit) -> None:
    with pytest.raises(NumberError) as caught:
        parse_number(text, unit, integer=True)
    assert caught.value.message_key == "not_integer"
    assert caught.value.params == {"text": text}


@pytest.mark.parametrize(("text", "expected"), [("1,5k", 1500), ("1.200", 1200), ("85 đơn", 85)])
def test_integer_fields_take_whole_values_in_any_form(text: str, expected: float) -> None:
    assert parse_number(text, "count", integer=True) == expected


def test_error_params_quote_the_input() -> None:
    cases: list[tuple[str, Unit, dict[str, str | int]]] = [
        ("", "money", {}),
        ("x" * 100, "money", {"max": MAX_INPUT_LENGTH}),
        ("abc", "money", {"text": "abc"}),
        ("-5", "money", {"text": "-5"}),
        ("12 13", "count", {"text": "12 13"}),
        ("12 Khoảng", "money", {"word": "Khoảng"}),
        ("5 %", "money", {"word": "%"}),
        ("1.2.3", "money", {"text": "1.2.3"}),
    ]
    for text, unit, params in cases:
        with pytest.raises(NumberError) as caught:
            parse_number(text, unit)
        assert caught.value.params == params, text


def test_number_error_is_a_value_error_with_a_readable_text() -> None:
    error = NumberError("unknown_word", {"word": "abc"})
    assert isinstance(error, ValueError)
    assert "unknown_word" in str(error)


def test_exact_decimal_result() -> None:
    assert parse_decimal("12,5tr", "money") == Decimal(12_500_000)
    assert parse_decimal("0,1", "number") + parse_decimal("0,2", "number") == Decimal("0.3")


@pytest.mark.parametrize("unit", UNITS)
def test_examples_are_valid(unit: Unit) -> None:
    first, second = examples_for(unit)
    assert first != second
    for example in (first, second):
        assert parse_number(example, unit, integer=unit == "count") >= 0


def test_examples_show_the_local_style() -> None:
    assert examples_for("money") == ("12,5tr", "12.500.000")
    assert examples_for("count") == ("85", "1.200")
    assert examples_for("percent") == ("3,2%", "15")
    assert examples_for("hours") == ("2,5", "3")


# --- properties ---------------------------------------------------------------------------------

units = st.sampled_from(UNITS)
# Characters that reach deep into the parser, plus anything at all.
number_like = st.text(
    alphabet=st.sampled_from(list("0123456789.,  %-−₫đktrỷyiệumbhgpĐK:/;x\u00a0\u0301")),
    max_size=30,
)


def _parses_or_number_error(text: str, unit: Unit, integer: bool) -> None:
    try:
        value = parse_number(text, unit, integer=integer)
    except NumberError as error:
        assert error.message_key in ERROR_KEYS
        return
    assert value >= 0
    assert value == value  # not NaN
    if integer:
        assert value == int(value)


@settings(max_examples=1500, deadline=None)
@given(text=st.text(max_size=80), unit=units, integer=st.booleans())
def test_any_text_gives_a_number_or_a_number_error(text: str, unit: Unit, integer: bool) -> None:
    _parses_or_number_error(text, unit, integer)


@settings(max_examples=1500, deadline=None)
@given(text=number_like, unit=units, integer=st.booleans())
def test_number_like_text_gives_a_number_or_a_number_error(
    text: str, unit: Unit, integer: bool
) -> None:
    _parses_or_number_error(text, unit, integer)


def _group(digits: str, separator: str) -> str:
    head = len(digits) % 3 or 3
    return separator.join(
        [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    )


@st.composite
def money_in_some_style(draw: st.DrawFn) -> tuple[str, int]:
    """An integer amount and one of the ways people write it."""
    amount = draw(st.integers(min_value=0, max_value=int(CEILINGS["money"])))
    digits = str(amount)
    styles = [digits]
    if amount >= 1000:
        styles += [_group(digits, "."), _group(digits, ","), _group(digits, " ")]
    if amount % 100_000 == 0 and amount >= 1_000_000:
        millions = Decimal(amount) / 1_000_000
        whole, _, fraction = f"{millions:f}".partition(".")
        styles += [f"{whole},{fraction}tr" if fraction else f"{whole}tr"]
        styles += [f"{whole}.{fraction} triệu" if fraction else f"{whole} triệu"]
        styles += [f"{whole}tr{fraction}" if fraction else f"{whole}tr"]
    if amount % 1000 == 0 and 0 < amount < 10**9:
        styles += [f"{amount // 1000}k", f"{amount // 1000} nghìn", f"{amount // 1000} ngàn"]
    if amount % 10**8 == 0 and amount >= 10**9:
        billions, rest = divmod(amount, 10**9)
        tenths = rest // 10**8
        styles += [f"{billions} tỷ {tenths}" if tenths else f"{billions} tỷ"]
        styles += [f"{billions},{tenths} tỷ" if tenths else f"{billions}ty"]
    text = draw(st.sampled_from(styles))
    suffix = draw(st.sampled_from(["", "đ", " đ", " ₫", " vnd", " VNĐ", " đồng"]))
    return text + suffix, amount


@settings(max_examples=400, deadline=None)
@given(case=money_in_some_style())
def test_money_in_any_accepted_style_reads_back_exactly(case: tuple[str, int]) -> None:
    text, amount = case
    assert parse_number(text, "money") == amount


@st.composite
def decimal_in_some_style(draw: st.DrawFn) -> tuple[str, Unit, Decimal]:
    """A value with up to two decimals for percent/hours/number, written vi or en style."""
    unit: Unit = draw(st.sampled_from(["percent", "hours", "number"]))
    top = min(10**7, int(CEILINGS[unit]) * 100)
    hundredths = draw(st.integers(min_value=0, max_value=top))
    value = Decimal(hundredths) / 100
    whole, _, fraction = f"{value:f}".partition(".")
    fraction = fraction.rstrip("0")
    point = draw(st.sampled_from([",", "."]))
    text = whole + (point + fraction if fraction else "")
    suffixes = {"percent": ["", "%", " %"], "hours": ["", "h", " giờ", " tiếng"], "number": [""]}
    return text + draw(st.sampled_from(suffixes[unit])), unit, value


@settings(max_examples=300, deadline=None)
@given(case=decimal_in_some_style())
def test_decimals_in_any_accepted_style_read_back_exactly(case: tuple[str, Unit, Decimal]) -> None:
    text, unit, value = case
    assert parse_number(text, unit) == float(value)


@settings(max_examples=300, deadline=None)
@given(count=st.integers(min_value=0, max_value=10**9), word=st.sampled_from(["", " đơn", " lượt"]))
def test_counts_with_grouping_and_words_read_back_exactly(count: int, word: str) -> None:
    for text in {str(count), _group(str(count), "."), _group(str(count), ",")}:
        assert parse_number(text + word, "count", integer=True) == count
