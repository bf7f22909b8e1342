"""Numbers at the edges: sanity ceilings per unit, ``-0``, digits of every script, exponents,
NaN and infinity; and that every path reading a value (report step, report paste, plan file,
order form) applies the ceiling when the org file sets no maximum."""

from __future__ import annotations

import io
import math
import sys
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from bot.domain.numbers import (
    CEILINGS,
    ERROR_KEYS,
    NumberError,
    ceiling_for,
    examples_for,
    parse_number,
)
from bot.domain.plan_file import parse_plan_file
from bot.domain.plan_rows import PlanFileContext, PlanMetricSpec
from bot.domain.report_text import field_specs_for_form, parse_report_text
from bot.i18n import LOCALES, Translator, load_catalogue
from bot.org.fields import Unit
from bot.org.loader import load_org
from bot.services.order_form import read_text_answer
from bot.services.report_form import number_error_text

UNITS: tuple[Unit, ...] = ("money", "count", "percent", "hours", "number")
ORG = load_org(Path(__file__).resolve().parents[2] / "examples" / "demo-org.yaml")


def key_of(text: str, unit: Unit, **kwargs: float | None) -> str:
    with pytest.raises(NumberError) as caught:
        parse_number(text, unit, **kwargs)  # type: ignore[arg-type]
    return caught.value.message_key


# --- ceilings ------------------------------------------------------------------------------------


def test_the_ceilings_are_the_documented_ones() -> None:
    assert ceiling_for("money") == 1e13
    assert ceiling_for("count") == 1e9
    assert ceiling_for("percent") == 1e4


@pytest.mark.parametrize("unit", UNITS)
def test_the_ceiling_is_accepted_and_one_more_is_refused(unit: Unit) -> None:
    ceiling = int(CEILINGS[unit])
    assert parse_number(str(ceiling), unit) == ceiling
    assert key_of(str(ceiling + 1), unit) == "too_large"


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("999999999999999999999999999tr", "money"),
        ("10000 tỷ 1", "money"),
        ("20000 tỷ", "money"),
        ("1.000.000.001", "count"),
        ("2 tỷ đơn", "count"),
        ("10001%", "percent"),
        ("99999999999999999999", "number"),
    ],
)
def test_absurd_values_are_refused_without_an_org_maximum(text: str, unit: Unit) -> None:
    assert key_of(text, unit) == "too_large"


def test_an_org_maximum_replaces_the_ceiling() -> None:
    # The caller checks the org's maximum with its own message; the parser then reads the value.
    assert parse_number("20000 tỷ", "money", maximum=5e13) == 2e13
    assert parse_number("1.500.000", "percent", maximum=100) == 1_500_000


@pytest.mark.parametrize("locale", LOCALES)
def test_the_refusal_says_why_and_shows_two_examples(locale: str) -> None:
    t = Translator(locale)
    assert "number.too_large" in load_catalogue(locale)
    for key in ERROR_KEYS:
        assert f"number.{key}" in load_catalogue(locale), key
    text = "999999999999999999999999999tr"
    error = NumberError("too_large", {"text": text})
    message = number_error_text(ORG, "gmv", error, t)
    first, second = examples_for("money")
    assert text in message and first in message and second in message
    assert ("bất thường" if locale == "vi" else "unusually large") in message


# --- minus zero ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["-0", "−0", "- 0", "-0,0", "-0.00", "-0tr", "-0 đ", "–0"])
def test_minus_zero_is_zero(text: str) -> None:
    value = parse_number(text, "money")
    assert value == 0 and math.copysign(1, value) == 1  # not even a negative zero


@pytest.mark.parametrize("text", ["-0,5", "-1", "--0", "-0abc", "₫-0", "- 5tr"])
def test_any_other_minus_is_still_refused(text: str) -> None:
    assert key_of(text, "money") == "negative"


# --- digits of every script ------------------------------------------------------------------

SCRIPT_ZEROS = [
    "0",  # ASCII
    "\uff10",  # full-width
    "\u0660",  # Arabic-Indic
    "\u06f0",  # Extended Arabic-Indic (Persian, Urdu)
    "\u0966",  # Devanagari
    "\u09e6",  # Bengali
    "\u0e50",  # Thai
    "\u0ed0",  # Lao
    "\u1040",  # Myanmar
    "\u17e0",  # Khmer
    "\U0001d7ce",  # mathematical bold
]
# Every decimal-digit zero Unicode knows: each starts a run of ten digits.
ALL_ZEROS = [
    chr(code)
    for code in range(sys.maxunicode + 1)
    if unicodedata.category(chr(code)) == "Nd" and unicodedata.decimal(chr(code)) == 0
]


def in_script(text: str, zero: str) -> str:
    return "".join(chr(ord(zero) + int(c)) if c.isascii() and c.isdigit() else c for c in text)


@pytest.mark.parametrize("zero", SCRIPT_ZEROS, ids=lambda z: unicodedata.name(z, "ascii"))
@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [
        ("12.500.000", "money", 12_500_000),
        ("12,5tr", "money", 12_500_000),
        ("85 đơn", "count", 85),
        ("3,2%", "percent", 3.2),
        ("2h30", "hours", 2.5),
    ],
)
def test_every_script_s_digits_read_like_ascii(
    zero: str, text: str, unit: Unit, expected: float
) -> None:
    assert parse_number(in_script(text, zero), unit) == expected


def test_the_issue_s_cases() -> None:
    assert parse_number("１２３", "count") == 123
    assert parse_number("١٢٣", "count") == 123


@pytest.mark.parametrize("text", ["²", "①②", "⒈", "5²", "1⁰", "½"])
def test_digit_like_symbols_are_not_digits(text: str) -> None:
    assert key_of(text, "count") in ("not_a_number", "bad_format")


@settings(max_examples=400, deadline=None)
@given(
    amount=st.integers(min_value=0, max_value=10**9),
    zeros=st.lists(st.sampled_from(ALL_ZEROS), min_size=10, max_size=10),
    grouped=st.booleans(),
)
def test_any_mix_of_scripts_reads_the_same_number(
    amount: int, zeros: list[str], grouped: bool
) -> None:
    digits = f"{amount:,}".replace(",", ".") if grouped else str(amount)
    mixed = iter(zeros * 2)
    text = "".join(in_script(c, next(mixed)) if c.isdigit() else c for c in digits)
    assert parse_number(text, "count", integer=True) == amount


# --- exponents, NaN, infinity -----------------------------------------------------------------


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize(
    "text", ["1e309", "1E5", "1e+5", "2.5e-3", "NaN", "nan", "inf", "-inf", "Infinity", "∞"]
)
def test_exponents_nan_and_infinity_are_refused(text: str, unit: Unit) -> None:
    assert key_of(text, unit) in ("bad_format", "not_a_number", "negative")


# --- properties ----------------------------------------------------------------------------------

DIGITS = "".join(in_script("0123456789", z) for z in SCRIPT_ZEROS)
edgy = st.text(
    alphabet=st.sampled_from(list(DIGITS + ".,  %-−₫đktrỷyeEnaif²①∞\u00a0")), max_size=40
)


@settings(max_examples=1500, deadline=None)
@given(text=st.one_of(edgy, st.text(max_size=64)), unit=st.sampled_from(UNITS))
def test_a_value_is_finite_non_negative_and_under_the_ceiling(text: str, unit: Unit) -> None:
    try:
        value = parse_number(text, unit)
    except NumberError as error:
        assert error.message_key in ERROR_KEYS
        return
    assert math.isfinite(value) and 0 <= value <= ceiling_for(unit)
    assert math.copysign(1, value) == 1


@settings(max_examples=300, deadline=None)
@given(unit=st.sampled_from(UNITS), extra=st.integers(min_value=1, max_value=10**20))
def test_anything_above_the_ceiling_is_too_large(unit: Unit, extra: int) -> None:
    assert key_of(str(int(CEILINGS[unit]) + extra), unit) == "too_large"


# --- every path applies it ---------------------------------------------------------------------


def test_a_pasted_report_applies_the_ceiling_only_without_an_org_maximum() -> None:
    text = "gmv 999999999999999999999999999tr\nđơn 85"
    with_max = parse_report_text(text, field_specs_for_form(ORG, "growth"))
    assert with_max.values["gmv"] == 1e33  # the org's max (50 tỷ) refuses it later, in words
    no_max = ORG.model_copy(
        update={"metrics": tuple(m.model_copy(update={"max": None}) for m in ORG.metrics)}
    )
    without = parse_report_text(text, field_specs_for_form(no_max, "growth"))
    assert without.errors["gmv"].message_key == "too_large" and without.values["orders"] == 85


def xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Kế hoạch"
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_plan_files_apply_the_ceiling_to_text_and_number_cells() -> None:
    spec = PlanMetricSpec("gmv", "money", None)
    context = PlanFileContext(stores={"hs-shopee": "HS-SHOPEE"}, metrics={"gmv": spec})
    rows = [
        ["Cửa hàng", "Chỉ số", "Tháng", "Mục tiêu"],
        ["HS-SHOPEE", "gmv", "2026-12", "999999999999999999999999999tr"],
        ["HS-SHOPEE", "gmv", "2027-01", 1e20],
        ["HS-SHOPEE", "gmv", "2027-02", "600tr"],
    ]
    parsed = parse_plan_file("plan.xlsx", xlsx(rows), context)
    assert [(p.code, p.row) for p in parsed.problems] == [("too_large", 2), ("too_large", 3)]
    assert all(p.params["limit"] == "10,000,000,000,000" for p in parsed.problems)
    assert [r.target for r in parsed.rows] == [600_000_000]


def test_the_order_form_s_money_field_without_a_max_applies_the_ceiling() -> None:
    booking = next(o for o in ORG.order_types if o.code == "koc_booking")
    budget = next(f for f in booking.fields if f.key == "budget")
    koc_count = next(f for f in booking.fields if f.key == "koc_count")
    assert budget.max is None and koc_count.max == 100
    now = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
    t = Translator("vi")

    def read(field, text):  # type: ignore[no-untyped-def]
        return read_text_answer(ORG, booking, field, text, now=now, stores=[], t=t)

    refused = read(budget, "999999999999999999999999999tr")
    assert refused.error is not None and "bất thường" in refused.error
    assert read(budget, "12,5tr").value == 12_500_000
    over_org_max = read(koc_count, "1000000000000000")
    assert over_org_max.error is not None and "bất thường" not in over_org_max.error
