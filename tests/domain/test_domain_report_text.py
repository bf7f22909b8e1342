"""A whole report in one message (``parse_report_text``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.numbers import format_value
from bot.domain.report_text import (
    FieldSpec,
    ReportTextResult,
    field_specs_for_form,
    looks_like_report_text,
    match_line,
    parse_report_text,
)
from bot.domain.text_norm import normalize
from bot.org.loader import load_org
from bot.org.schema import OrgConfig

DEMO_ORG = Path(__file__).resolve().parents[2] / "examples" / "demo-org.yaml"
ORG: OrgConfig = load_org(DEMO_ORG)
GROWTH = field_specs_for_form(ORG, "growth")
LIVESTREAM = field_specs_for_form(ORG, "livestream")


def test_field_specs_follow_the_form() -> None:
    assert [s.key for s in GROWTH] == [
        "gmv", "nmv", "orders", "cancelled", "returned", "traffic", "ads_cost",
    ]  # fmt: skip
    gmv = GROWTH[0]
    assert gmv == FieldSpec(
        key="gmv",
        label_vi="Doanh thu (GMV)",
        label_en="GMV",
        unit="money",
        aliases=("doanh thu", "doanh số", "doanh so", "ds", "gmv"),
        integer=False,
        required=True,
        maximum=50_000_000_000,  # the org file's max: the parser's ceiling gives way to it
    )
    assert GROWTH[2].integer and GROWTH[2].unit == "count"
    # The livestream form makes gmv optional although the metric is required by default.
    assert {s.key: s.required for s in LIVESTREAM} == {
        "live_sessions": True, "live_hours": True, "gmv": False,
    }  # fmt: skip


def test_field_specs_for_an_unknown_department() -> None:
    with pytest.raises(LookupError):
        field_specs_for_form(ORG, "nowhere")


PASTED = """Báo cáo HS-SHOPEE 20/11
Doanh thu: 12,5tr
nmv = 11tr2
- đơn 85
don huy 3; hoàn: 1

---
chi phi ads 1tr2
Lượt truy cập 3.200
"""


def test_a_pasted_report() -> None:
    result = parse_report_text(PASTED, GROWTH)
    assert result == ReportTextResult(
        values={
            "gmv": 12_500_000,
            "nmv": 11_200_000,
            "orders": 85,
            "cancelled": 3,
            "returned": 1,
            "ads_cost": 1_200_000,
            "traffic": 3200,
        },
        unknown=["Báo cáo HS-SHOPEE 20/11"],
    )


@pytest.mark.parametrize(
    ("line", "key", "value"),
    [
        ("gmv 12tr", "gmv", 12_000_000),
        ("GMV: 12tr", "gmv", 12_000_000),
        ("gmv=12tr", "gmv", 12_000_000),
        ("gmv12tr", "gmv", 12_000_000),
        ("GMV - 12tr", "gmv", 12_000_000),
        ("Doanh số 12.500.000đ", "gmv", 12_500_000),
        ("DOANH SO 12,5 triệu", "gmv", 12_500_000),
        ("ds: 1 tỷ 2", "gmv", 1_200_000_000),
        ("doanh thu thuần 11tr", "nmv", 11_000_000),  # longer than "doanh thu"
        ("doanh thu thuan: 11tr", "nmv", 11_000_000),
        ("✓ Doanh thu (GMV): 12.500.000 ₫", "gmv", 12_500_000),  # the bot's own echo
        ("Net merchandise value: 11,200,000 ₫", "nmv", 11_200_000),
        ("1. Đơn hàng: 85", "orders", 85),
        ("2) đơn hủy 3", "cancelled", 3),
        ("• huỷ: 3", "cancelled", 3),
        ("Orders 1,200", "orders", 1200),
        ("số đơn 85 đơn", "orders", 85),
        ("chi phí ads 1tr2", "ads_cost", 1_200_000),
        ("Chi phí quảng cáo: 350k", "ads_cost", 350_000),
        ("qc 350 ngàn", "ads_cost", 350_000),
        ("traffic 12 500", "traffic", 12_500),
        ("trả hàng 2", "returned", 2),
        ("gmv：12tr", "gmv", 12_000_000),  # full-width colon
    ],
)
def test_one_line_forms(line: str, key: str, value: float) -> None:
    result = parse_report_text(line, GROWTH)
    assert result.values == {key: value}
    assert result.unknown == [] and result.errors == {}


def test_the_longest_alias_wins() -> None:
    fields = [
        FieldSpec("other_cost", "Chi phí", "Costs", "money", aliases=("chi phí",)),
        FieldSpec("ads_cost", "Quảng cáo", "Ads", "money", aliases=("chi phí ads",)),
    ]
    assert parse_report_text("chi phí ads 1tr2", fields).values == {"ads_cost": 1_200_000}
    assert parse_report_text("chi phi 1tr2", fields).values == {"other_cost": 1_200_000}
    found = match_line("Chi Phí Ads: 1tr2", fields)
    assert found is not None
    assert (found.key, found.name, found.value_text) == ("ads_cost", "Chi Phí Ads", "1tr2")


def test_a_name_must_end_at_a_word_boundary() -> None:
    result = parse_report_text("dsx 12tr\nads 1tr", GROWTH)
    assert result.values == {"ads_cost": 1_000_000}
    assert result.unknown == ["dsx 12tr"]


def test_a_name_two_fields_share_is_claimed_by_neither() -> None:
    fields = [
        FieldSpec("a", "A", "A", "count", aliases=("tổng",)),
        FieldSpec("b", "B", "B", "count", aliases=("tong",)),
    ]
    assert parse_report_text("tổng 5", fields).unknown == ["tổng 5"]


def test_bad_values_are_errors_of_their_field() -> None:
    result = parse_report_text("gmv 12abc\nđơn 85,5\nads -5\nnmv:\ntraffic 3.200", GROWTH)
    assert result.values == {"traffic": 3200}
    assert {k: e.message_key for k, e in result.errors.items()} == {
        "gmv": "unknown_word",
        "orders": "not_integer",
        "ads_cost": "negative",
        "nmv": "empty",
    }
    assert result.errors["gmv"].params == {"word": "abc"}


def test_a_field_given_twice_keeps_the_last() -> None:
    result = parse_report_text("gmv 1tr\nđơn 5\ndoanh thu 2tr\ngmv 3tr", GROWTH)
    assert result.values == {"gmv": 3_000_000, "orders": 5}
    assert result.duplicates == ["gmv"]
    later_error = parse_report_text("gmv 1tr\ngmv abc", GROWTH)
    assert later_error.values == {} and set(later_error.errors) == {"gmv"}
    later_value = parse_report_text("gmv abc\ngmv 1tr", GROWTH)
    assert later_value.values == {"gmv": 1_000_000} and later_value.errors == {}


def test_missing_required_in_form_order() -> None:
    result = parse_report_text("ads 1tr; gmv 12tr; nmv xyz", GROWTH)
    assert result.missing_required == ["orders", "cancelled", "returned", "traffic"]
    optional = parse_report_text("phiên live 2", LIVESTREAM)
    assert optional.missing_required == ["live_hours"]


def test_blank_and_punctuation_lines_are_ignored() -> None:
    result = parse_report_text("\n\n---\n  ...  \n;;\n✓✓\r\n", GROWTH)
    assert result == ReportTextResult(missing_required=[s.key for s in GROWTH])


def test_unknown_lines_are_kept_as_typed() -> None:
    result = parse_report_text("  Hôm nay Sale lớn!  \n12tr\ngmv 5tr", GROWTH)
    assert result.unknown == ["Hôm nay Sale lớn!", "12tr"]


def test_hours_in_the_livestream_form() -> None:
    result = parse_report_text("phiên live: 2\ngiờ live 3h30\ndoanh thu 5tr", LIVESTREAM)
    assert result.values == {"live_sessions": 2, "live_hours": 3.5, "gmv": 5_000_000}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gmv 12tr", True),
        ("Báo cáo\nđơn: 85", True),
        ("12,5tr", False),
        ("85 đơn", False),
        ("1.200", False),
        ("doanh thu hôm nay tốt", False),
        ("gmv:", False),
        ("", False),
    ],
)
def test_looks_like_report_text(text: str, expected: bool) -> None:
    assert looks_like_report_text(text, GROWTH) is expected


# --- properties ---------------------------------------------------------------------------------

ALL_FIELDS = GROWTH + [s for s in LIVESTREAM if s.key != "gmv"]
NAMES = sorted({name for spec in ALL_FIELDS for name in spec.names()})
# Fragments that make arbitrary text hit the interesting paths often.
fragments = st.one_of(
    st.sampled_from(NAMES),
    st.sampled_from(["12,5tr", "1ty2", "-5", "85", "3.200", "%", "đ", "k", "abc", " ", "  "]),
    st.sampled_from([":", "=", " - ", "\n", ";", "\r\n", "✓ ", "1. ", ",", "."]),
    st.text(max_size=6),
)
messy_text = st.lists(fragments, max_size=25).map("".join)


def _check_invariants(text: str, fields: list[FieldSpec]) -> None:
    result = parse_report_text(text, fields)
    keys = [spec.key for spec in fields]
    assert set(result.values).isdisjoint(result.errors)
    assert set(result.values) | set(result.errors) | set(result.duplicates) <= set(keys)
    assert all(value >= 0 for value in result.values.values())
    assert result.missing_required == [
        s.key for s in fields if s.required and s.key not in result.values | result.errors
    ]
    lines = [normalize(line) for line in text.replace(";", "\n").splitlines()]
    for key in result.values:
        names = [normalize(name) for name in next(s for s in fields if s.key == key).names()]
        assert any(name in line for line in lines for name in names if name), key
    for line in result.unknown:
        assert line in text


@settings(max_examples=1200, deadline=None)
@given(text=st.text(max_size=200))
def test_any_text_never_raises(text: str) -> None:
    _check_invariants(text, ALL_FIELDS)
    looks_like_report_text(text, ALL_FIELDS)


@settings(max_examples=1200, deadline=None)
@given(text=messy_text)
def test_messy_text_near_the_names_never_raises(text: str) -> None:
    _check_invariants(text, ALL_FIELDS)


JUNK = ["Báo cáo ngày 20/11", "Shop HS-SHOPEE", "cảm ơn sếp", "hôm nay sale 11.11"]


@st.composite
def generated_report(draw: st.DrawFn) -> tuple[str, dict[str, float], list[str]]:
    chosen = draw(st.lists(st.sampled_from(GROWTH), unique_by=lambda s: s.key, min_size=1))
    lines: list[str] = []
    expected: dict[str, float] = {}
    for spec in chosen:
        amount = draw(st.integers(min_value=0, max_value=10**10 if spec.unit == "money" else 10**6))
        name = draw(st.sampled_from(spec.names()))
        name = draw(st.sampled_from([name, name.upper(), normalize(name)]))
        locale = draw(st.sampled_from(["vi", "en"]))
        value = draw(st.sampled_from([str(amount), format_value(amount, spec.unit, locale)]))
        separator = draw(st.sampled_from([" ", ": ", " = ", " - ", ":", "  :  "]))
        lines.append(f"{name}{separator}{value}")
        expected[spec.key] = amount
    junk = draw(st.lists(st.sampled_from([*JUNK, "", "---", "  "]), max_size=4))
    for line in junk:
        lines.insert(draw(st.integers(0, len(lines))), line)
    joiner = draw(st.sampled_from(["\n", "; ", "\r\n"]))
    return joiner.join(lines), expected, [line for line in lines if line in JUNK]


@settings(max_examples=400, deadline=None)
@given(case=generated_report())
def test_generated_reports_read_back_exactly(
    case: tuple[str, dict[str, float], list[str]],
) -> None:
    text, expected, junk = case
    result = parse_report_text(text, GROWTH)
    assert result.values == expected
    assert result.errors == {}
    assert result.unknown == junk
    assert result.duplicates == []
    assert looks_like_report_text(text, GROWTH)
