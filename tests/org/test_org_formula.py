from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.org.formula import MAX_DEPTH, MAX_LENGTH, Comparison, Formula, FormulaError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 + 3 * 4", 14),
        ("2 * 3 + 4", 10),
        ("(2 + 3) * 4", 20),
        ("10 - 4 - 3", 3),
        ("8 / 4 / 2", 1),
        ("-2 * 3", -6),
        ("2 - -3", 5),
        ("--2", 2),
        ("-(1 + 2) * (3 - 5)", 6),
        ("1.5 * 2", 3),
        (".5 + 0.25", 0.75),
        ("((((7))))", 7),
    ],
)
def test_precedence_and_parentheses(text: str, expected: float) -> None:
    assert Formula.parse(text).evaluate({}) == pytest.approx(expected)


def test_variables_and_evaluation() -> None:
    cr = Formula.parse("orders / traffic * 100")
    assert cr.variables == {"orders", "traffic"}
    assert cr.evaluate({"orders": 25, "traffic": 1000}) == pytest.approx(2.5)
    assert str(cr) == "orders / traffic * 100"


def test_division_by_zero_and_missing_values_give_none() -> None:
    aov = Formula.parse("gmv / orders")
    assert aov.evaluate({"gmv": 1_000_000, "orders": 0}) is None
    assert aov.evaluate({"gmv": 1_000_000}) is None
    assert Formula.parse("1 / (2 - 2)").evaluate({}) is None


def test_overflow_is_not_a_number() -> None:
    big = "9" * 200
    assert Formula.parse(f"{big} * {big}").evaluate({}) is None
    assert Formula.parse("a * a").evaluate({"a": 1e200}) is None


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("__import__('os')", 1),
        ("gmv / orders; import os", 13),
        ("gmv +", 6),
        ("(gmv", 5),
        ("gmv orders", 5),
        ("gmv ** 2", 6),
        ("gmv(1)", 4),
        ("gmv <= nmv", 5),
        ("", None),
        ("lambda: 1", 7),
        ("gmv.__class__", 4),
    ],
)
def test_invalid_formulas_are_rejected_with_a_column(text: str, column: int | None) -> None:
    with pytest.raises(FormulaError) as info:
        Formula.parse(text)
    assert info.value.column == column


def test_nesting_and_length_are_bounded() -> None:
    with pytest.raises(FormulaError, match="nested"):
        Formula.parse("(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1))
    with pytest.raises(FormulaError, match="longer"):
        Formula.parse("1+" * MAX_LENGTH + "1")
    assert Formula.parse("-" * 400 + "1").evaluate({}) == 1


def test_comparisons() -> None:
    check = Comparison.parse("cancelled + returned <= orders")
    assert check.variables == {"cancelled", "returned", "orders"}
    assert check.evaluate({"cancelled": 2, "returned": 3, "orders": 5}) is True
    assert check.evaluate({"cancelled": 2, "returned": 4, "orders": 5}) is False
    assert check.evaluate({"cancelled": 2, "orders": 5}) is None
    assert Comparison.parse("nmv <= gmv").evaluate({"nmv": 0.1 + 0.2, "gmv": 0.3}) is True
    assert Comparison.parse("a < b").evaluate({"a": 1, "b": 1}) is False
    assert Comparison.parse("a == b * 2").evaluate({"a": 4, "b": 2}) is True
    assert Comparison.parse("a != b").evaluate({"a": 4, "b": 2}) is True
    assert Comparison.parse("a >= 10").evaluate({"a": 10}) is True
    assert Comparison.parse("a > 10").evaluate({"a": 10}) is False


@pytest.mark.parametrize("text", ["nmv gmv", "nmv <= ", "nmv", "a <= b <= c", "<= b"])
def test_invalid_comparisons(text: str) -> None:
    with pytest.raises(FormulaError):
        Comparison.parse(text)


def _parse_and_evaluate(text: str) -> None:
    for parse in (Formula.parse, Comparison.parse):
        try:
            parsed = parse(text)
        except FormulaError:
            continue
        parsed.evaluate(dict.fromkeys(parsed.variables, 1.0))


@given(st.text(max_size=80))
def test_random_text_only_raises_formula_error(text: str) -> None:
    _parse_and_evaluate(text)


@given(st.text(alphabet="0123456789.+-*/() <=>!abcx_", max_size=60))
def test_near_miss_text_only_raises_formula_error(text: str) -> None:
    # Mostly grammar characters, so that deeper parser paths are reached too.
    _parse_and_evaluate(text)


Expr = tuple[str, float | None]


def _combine(parts: tuple[Expr, str, Expr]) -> Expr:
    (left_text, left), op, (right_text, right) = parts
    text = f"({left_text} {op} {right_text})"
    if left is None or right is None:
        return text, None
    if op == "+":
        return text, left + right
    if op == "-":
        return text, left - right
    if op == "*":
        return text, left * right
    return text, None if right == 0 else left / right


_leaves = st.one_of(
    st.integers(0, 1000).map(lambda n: (str(n), float(n))),
    st.sampled_from([("gmv", 1200.0), ("orders", 8.0), ("zero", 0.0)]),
)
_expressions = st.recursive(
    _leaves,
    lambda inner: st.tuples(inner, st.sampled_from("+-*/"), inner).map(_combine),
    max_leaves=25,
)


@given(_expressions)
def test_evaluation_matches_the_arithmetic(expr: Expr) -> None:
    text, expected = expr
    value = Formula.parse(text).evaluate({"gmv": 1200.0, "orders": 8.0, "zero": 0.0})
    if expected is None or not math.isfinite(expected):
        assert value is None
    else:
        assert value == pytest.approx(expected)
