"""Derived metrics (AOV, CR, ROAS...): in which order to compute them, and their values.

A derived metric may build on another (``margin = profit / gmv``), so they are computed in an
order where each one's inputs come first. The org config keeps that order once
(``OrgConfig.derived_order``); ``compute_derived`` takes it, so that a row costs only the
formulas themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol, TypeVar

from bot.org.formula import Formula


class Derived(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def formula(self) -> Formula: ...


D = TypeVar("D", bound=Derived)


def evaluation_order(metrics: Iterable[D]) -> tuple[D, ...]:
    """``metrics`` in an order where each one's inputs are computed before it."""
    derived = {m.key: m for m in metrics}
    ordered: list[D] = []
    done: set[str] = set()

    def visit(metric: D) -> None:
        if metric.key in done:
            return
        done.add(metric.key)  # cycles are rejected at validation, this only stops recursion
        for name in sorted(metric.formula.variables):
            if name in derived:
                visit(derived[name])
        ordered.append(metric)

    for metric in derived.values():
        visit(metric)
    return tuple(ordered)


def compute_derived(
    order: Sequence[Derived], values: Mapping[str, float]
) -> dict[str, float | None]:
    """Every derived metric of ``order`` from base ``values``; None where it cannot be computed."""
    known: dict[str, float] = dict(values)
    result: dict[str, float | None] = {}
    for metric in order:
        value = metric.formula.evaluate(known)
        result[metric.key] = value
        if value is not None:
            known[metric.key] = value
    return result
