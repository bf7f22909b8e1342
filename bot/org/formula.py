"""A tiny, safe arithmetic language for derived metrics and cross-checks.

Grammar (metric keys are the only names; nothing is ever executed)::

    comparison := expr ("<=" | "<" | ">=" | ">" | "==" | "!=") expr
    expr       := term (("+" | "-") term)*
    term       := unary (("*" | "/") unary)*
    unary      := ("+" | "-")* primary
    primary    := NUMBER | NAME | "(" expr ")"

Evaluation returns ``None`` instead of raising when a value is missing or the result is not a
finite number (division by zero, overflow), because a ratio of an empty day is "no data", not a
crash.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias

MAX_LENGTH = 500
MAX_DEPTH = 32

Operator: TypeAlias = Literal["<=", "<", ">=", ">", "==", "!="]
COMPARISON_OPERATORS: tuple[Operator, ...] = ("<=", "<", ">=", ">", "==", "!=")

_TOKEN_RE = re.compile(
    r"(?P<number>\d+(?:\.\d+)?|\.\d+)"
    r"|(?P<name>[A-Za-z][A-Za-z0-9_]*)"
    r"|(?P<op><=|>=|==|!=|[-+*/()<>])",
    re.ASCII,
)
_SPACE_RE = re.compile(r"[ \t]+", re.ASCII)
# Float noise from money arithmetic must not fail a check such as "nmv <= gmv".
_REL_TOLERANCE = 1e-9


class FormulaError(ValueError):
    """The text is not a valid formula; ``column`` is 1-based (None for the whole text)."""

    def __init__(self, message: str, column: int | None = None) -> None:
        self.message = message
        self.column = column
        super().__init__(message if column is None else f"{message} at column {column}")


@dataclass(frozen=True)
class _Token:
    kind: Literal["number", "name", "op", "end"]
    text: str
    column: int


@dataclass(frozen=True)
class Number:
    value: float

    def __str__(self) -> str:
        return f"{self.value:g}"


@dataclass(frozen=True)
class Name:
    key: str

    def __str__(self) -> str:
        return self.key


@dataclass(frozen=True)
class Negate:
    operand: Node

    def __str__(self) -> str:
        return f"-{_wrap(self.operand)}"


@dataclass(frozen=True)
class BinaryOp:
    op: Literal["+", "-", "*", "/"]
    left: Node
    right: Node

    def __str__(self) -> str:
        return f"{_wrap(self.left)} {self.op} {_wrap(self.right)}"


Node: TypeAlias = Number | Name | Negate | BinaryOp


def _wrap(node: Node) -> str:
    return f"({node})" if isinstance(node, BinaryOp) else str(node)


def tokenize(text: str) -> list[_Token]:
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"formula is longer than {MAX_LENGTH} characters")
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        space = _SPACE_RE.match(text, pos)
        if space:
            pos = space.end()
            continue
        match = _TOKEN_RE.match(text, pos)
        if match is None:
            raise FormulaError(f"unexpected character {text[pos]!r}", pos + 1)
        tokens.append(_Token(_kind(match), match.group(), pos + 1))
        pos = match.end()
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


def _kind(match: re.Match[str]) -> Literal["number", "name", "op"]:
    if match.group("number") is not None:
        return "number"
    return "name" if match.group("name") is not None else "op"


class _Parser:
    def __init__(self, text: str) -> None:
        self._tokens = tokenize(text)
        self._index = 0
        self._depth = 0

    @property
    def _current(self) -> _Token:
        return self._tokens[self._index]

    def _advance(self) -> _Token:
        token = self._current
        self._index += 1
        return token

    def _accept(self, *ops: str) -> str | None:
        token = self._current
        if token.kind == "op" and token.text in ops:
            self._index += 1
            return token.text
        return None

    def is_empty(self) -> bool:
        return self._tokens[0].kind == "end"

    def peek_comparison(self) -> _Token | None:
        token = self._current
        return token if token.kind == "op" and token.text in COMPARISON_OPERATORS else None

    def expect_end(self) -> None:
        token = self._current
        if token.kind != "end":
            raise FormulaError(f"unexpected {_describe(token)}", token.column)

    def comparison_operator(self) -> Operator:
        token = self._current
        for op in COMPARISON_OPERATORS:
            if token.kind == "op" and token.text == op:
                self._index += 1
                return op
        raise FormulaError(
            f"expected a comparison (<=, <, >=, >, ==, !=), found {_describe(token)}", token.column
        )

    def expr(self) -> Node:
        node = self.term()
        while op := self._accept("+", "-"):
            node = BinaryOp("+" if op == "+" else "-", node, self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while op := self._accept("*", "/"):
            node = BinaryOp("*" if op == "*" else "/", node, self.unary())
        return node

    def unary(self) -> Node:
        # Iterative so that "------x" cannot exhaust the Python stack.
        negative = False
        while op := self._accept("+", "-"):
            negative ^= op == "-"
        node = self.primary()
        return Negate(node) if negative else node

    def primary(self) -> Node:
        token = self._advance()
        if token.kind == "number":
            return Number(float(token.text))
        if token.kind == "name":
            return Name(token.text)
        if token.kind == "op" and token.text == "(":
            return self._parenthesised(token)
        raise FormulaError(
            f"expected a number or a metric key, found {_describe(token)}", token.column
        )

    def _parenthesised(self, opening: _Token) -> Node:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise FormulaError(f"parentheses nested deeper than {MAX_DEPTH}", opening.column)
        node = self.expr()
        if self._accept(")") is None:
            raise FormulaError(
                f"missing ')' for '(' at column {opening.column}, found {_describe(self._current)}",
                self._current.column,
            )
        self._depth -= 1
        return node


def _describe(token: _Token) -> str:
    return "end of formula" if token.kind == "end" else repr(token.text)


def _evaluate(node: Node, values: Mapping[str, float]) -> float | None:
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Name):
        value = values.get(node.key)
        return None if value is None else float(value)
    if isinstance(node, Negate):
        inner = _evaluate(node.operand, values)
        return None if inner is None else -inner
    left = _evaluate(node.left, values)
    right = _evaluate(node.right, values)
    if left is None or right is None:
        return None
    if node.op == "+":
        return left + right
    if node.op == "-":
        return left - right
    if node.op == "*":
        return left * right
    return None if right == 0 else left / right


def _names(node: Node) -> frozenset[str]:
    if isinstance(node, Name):
        return frozenset((node.key,))
    if isinstance(node, Negate):
        return _names(node.operand)
    if isinstance(node, BinaryOp):
        return _names(node.left) | _names(node.right)
    return frozenset()


@dataclass(frozen=True)
class Formula:
    """A parsed arithmetic expression over metric keys."""

    text: str
    root: Node

    @classmethod
    def parse(cls, text: str) -> Formula:
        parser = _Parser(text)
        if parser.is_empty():
            raise FormulaError("formula is empty")
        root = parser.expr()
        token = parser.peek_comparison()
        if token is not None:
            raise FormulaError(f"a comparison {token.text!r} is not allowed here", token.column)
        parser.expect_end()
        return cls(text=text.strip(), root=root)

    @property
    def variables(self) -> frozenset[str]:
        return _names(self.root)

    def evaluate(self, values: Mapping[str, float]) -> float | None:
        """The value, or None if a variable is missing or the result is not a finite number."""
        try:
            result = _evaluate(self.root, values)
        except OverflowError:
            return None
        return result if result is not None and math.isfinite(result) else None

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Comparison:
    """A check between two formulas, e.g. ``cancelled + returned <= orders``."""

    text: str
    left: Formula
    op: Operator
    right: Formula

    @classmethod
    def parse(cls, text: str) -> Comparison:
        parser = _Parser(text)
        if parser.is_empty():
            raise FormulaError("check is empty")
        left = parser.expr()
        op = parser.comparison_operator()
        right = parser.expr()
        parser.expect_end()
        return cls(
            text=text.strip(),
            left=Formula(text=str(left), root=left),
            op=op,
            right=Formula(text=str(right), root=right),
        )

    @property
    def variables(self) -> frozenset[str]:
        return self.left.variables | self.right.variables

    def evaluate(self, values: Mapping[str, float]) -> bool | None:
        """True/False, or None when a side cannot be computed (the check does not apply)."""
        left = self.left.evaluate(values)
        right = self.right.evaluate(values)
        if left is None or right is None:
            return None
        return _compare(left, self.op, right)

    def __str__(self) -> str:
        return self.text


def _compare(left: float, op: Operator, right: float) -> bool:
    close = math.isclose(left, right, rel_tol=_REL_TOLERANCE, abs_tol=_REL_TOLERANCE)
    if op == "==":
        return close
    if op == "!=":
        return not close
    if op == "<=":
        return left <= right or close
    if op == ">=":
        return left >= right or close
    if op == "<":
        return left < right and not close
    return left > right and not close
