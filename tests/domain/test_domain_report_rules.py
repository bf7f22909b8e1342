"""Validation of report values: ranges, cross-checks, outliers, derived metrics, attainment."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bot.domain.report_rules import (
    RULE_KEYS,
    RuleProblem,
    attainment,
    check_cross,
    check_value,
    derived_values,
    outlier,
)
from bot.domain.report_text import FieldSpec
from bot.org.formula import Comparison
from bot.org.loader import load_org

ORG = load_org(Path(__file__).resolve().parents[2] / "examples" / "demo-org.yaml")
GROWTH_CHECKS = ORG.form_for_department("growth").cross_checks  # type: ignore[union-attr]
ORDERS = FieldSpec("orders", "Đơn hàng", "Orders", "count", integer=True)
HOURS = FieldSpec("live_hours", "Giờ live", "Live hours", "hours")
GMV = FieldSpec("gmv", "Doanh thu", "GMV", "money")


# --- check_value --------------------------------------------------------------------------------


def test_values_in_range_pass() -> None:
    assert check_value(ORDERS, 85, 0, 500_000) is None
    assert check_value(HOURS, 24, 0, 24) is None
    assert check_value(GMV, 10**12, None, None) is None


def test_above_max() -> None:
    problem = check_value(HOURS, 25, 0, 24)
    assert problem == RuleProblem(
        "above_max", {"field": "live_hours", "value": "25 giờ", "max": "24 giờ"}, ("live_hours",)
    )


def test_below_min_formatted_for_the_locale() -> None:
    problem = check_value(GMV, 1_500, 10_000, None, locale="en")
    assert problem is not None
    assert problem.message_key == "below_min"
    assert problem.params == {"field": "gmv", "value": "1,500 ₫", "min": "10,000 ₫"}


def test_integer_fields_and_non_numbers() -> None:
    problem = check_value(ORDERS, 85.5, 0, None)
    assert problem is not None and problem.message_key == "not_integer"
    assert problem.params == {"field": "orders", "value": "86"}
    nan = check_value(ORDERS, math.nan, 0, 10)
    assert nan is not None and nan.message_key == "not_finite"


# --- check_cross --------------------------------------------------------------------------------


def test_cross_checks_of_the_growth_form() -> None:
    values = {"gmv": 10_000_000, "nmv": 12_000_000, "orders": 5, "cancelled": 4, "returned": 3}
    problems = check_cross(values, GROWTH_CHECKS)
    assert [p.params["check"] for p in problems] == [
        "nmv <= gmv",
        "cancelled + returned <= orders",
    ]
    first = problems[0]
    assert first.message_key == "cross_check"
    assert first.keys == ("gmv", "nmv")
    assert first.params == {
        "check": "nmv <= gmv",
        "left": "nmv",
        "op": "≤",
        "right": "gmv",
        "left_value": "12.000.000",
        "right_value": "10.000.000",
    }
    assert problems[1].params["left_value"] == "7"


def test_cross_checks_wait_for_all_their_values() -> None:
    # "orders <= traffic" has no traffic yet; "cancelled + returned <= orders" lacks returned.
    assert check_cross({"orders": 100, "cancelled": 200}, GROWTH_CHECKS) == []


def test_cross_checks_pass_on_equality_and_float_noise() -> None:
    assert check_cross({"gmv": 0.3, "nmv": 0.1 + 0.2}, GROWTH_CHECKS) == []


def test_cross_check_that_cannot_be_computed_does_not_fail() -> None:
    ratio = Comparison.parse("gmv / orders >= 1000")
    assert check_cross({"gmv": 5, "orders": 0}, [ratio]) == []
    assert check_cross({"gmv": 5, "orders": 1}, [ratio], locale="en")[0].params["op"] == "≥"


def test_cross_check_with_a_constant() -> None:
    live = ORG.form_for_department("livestream").cross_checks  # type: ignore[union-attr]
    problems = check_cross({"live_hours": 25.5}, live, locale="en")
    assert [(p.params["left_value"], p.params["right"]) for p in problems] == [("25.5", "24")]


def test_every_key_is_listed() -> None:
    assert set(RULE_KEYS) == {"not_finite", "not_integer", "below_min", "above_max", "cross_check"}


# --- outlier ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "recent", "expected"),
    [
        (100, [90, 100, 110], False),
        (501, [90, 100, 110], True),  # more than 5 x median
        (500, [90, 100, 110], False),
        (19, [90, 100, 110], True),  # less than median / 5
        (20, [90, 100, 110], False),
        (0, [90, 100, 110], True),  # a sudden zero
        (0, [0, 2, 3, 2], False),  # zero has happened before: normal
        (1000, [100, 110], False),  # too little history
        (1000, [0, 0, 0, 5], False),  # median zero: nothing to compare with
        (1000, [math.nan, 100, 100, 100], True),  # non-numbers in history are skipped
        (1000, [math.nan, 100, 100], False),
        (math.inf, [100, 100, 100], False),
        (12_500_000, [12_000_000] * 7, False),
        (125_000_000, [12_000_000] * 7, True),  # a typo with one zero too many
    ],
)
def test_outlier(value: float, recent: list[float], expected: bool) -> None:
    assert outlier(value, recent) is expected


def test_outlier_factor() -> None:
    assert outlier(250, [100, 100, 100], factor=2)
    assert not outlier(250, [100, 100, 100], factor=3)
    with pytest.raises(ValueError):
        outlier(1, [1, 1, 1], factor=1)


# --- derived values and attainment --------------------------------------------------------------


def test_derived_values_of_the_demo_org() -> None:
    values = {"gmv": 12_000_000, "orders": 80, "traffic": 4000, "cancelled": 4, "ads_cost": 0}
    assert derived_values(values, ORG) == {
        "aov": 150_000,
        "cr": 2.0,
        "cancel_rate": 5.0,
    }  # roas divides by zero ads: left out


def test_derived_values_need_their_inputs() -> None:
    assert derived_values({}, ORG) == {}
    assert derived_values({"gmv": 1_000_000, "ads_cost": 250_000}, ORG) == {"roas": 4.0}


@pytest.mark.parametrize(
    ("actual", "target", "expected"),
    [
        (95, 100, 95.0),
        (0, 100, 0.0),
        (150, 100, 150.0),
        (10, 0, None),
        (10, -5, None),
        (None, 100, None),
        (10, None, None),
        (math.nan, 100, None),
    ],
)
def test_attainment(actual: float | None, target: float | None, expected: float | None) -> None:
    assert attainment(actual, target) == expected
