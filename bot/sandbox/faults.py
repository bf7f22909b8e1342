"""Scripted Bot API failures: rate limits, server errors, slow and hanging requests."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal, cast, get_args

FaultKind = Literal["429", "500", "502", "slow", "timeout"]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
DEFAULT_SLOW_DELAY = 2.0
# Longer than aiogram's default request timeout (60 s), so the client gives up first.
DEFAULT_TIMEOUT_DELAY = 75.0
_POLLING = "getupdates"


@dataclass
class Fault:
    """One rule. `remaining` None means unlimited (a probability rule)."""

    kind: FaultKind
    method: str | None
    remaining: int | None
    probability: float | None
    retry_after: int
    delay: float
    hits: int = 0

    def matches(self, method: str) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.method is None:
            # Polling is the bot's lifeline; break it only when a test names it.
            return method.lower() != _POLLING
        return self.method.lower() == method.lower()


class FaultInjector:
    """Rules checked in the order they were added; the first one that fires wins."""

    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed)
        self.rules: list[Fault] = []

    def reseed(self, seed: int | None) -> None:
        self._rng = random.Random(seed)

    def add(
        self,
        kind: FaultKind | str,
        method: str | None = None,
        *,
        times: int | None = None,
        probability: float | None = None,
        retry_after: int = 1,
        delay: float | None = None,
    ) -> Fault:
        """Add a rule; without `times` or `probability` it fires exactly once.

        `times` with `probability` caps how often a random rule may fire.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        if probability is not None and not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        if times is not None and times < 0:
            raise ValueError("times must not be negative")
        if times is None and probability is None:
            times = 1
        if delay is None:
            delay = DEFAULT_TIMEOUT_DELAY if kind == "timeout" else DEFAULT_SLOW_DELAY
        rule = Fault(
            kind=cast(FaultKind, kind),
            method=method,
            remaining=times,
            probability=probability,
            retry_after=retry_after,
            delay=delay,
        )
        self.rules.append(rule)
        return rule

    def add_random(self, rate: float) -> None:
        """About `rate` of the bot's calls fail with a 429, 500 or 502 (for manual tries)."""
        if rate <= 0:
            return
        share = min(rate, 1.0) / 3
        for kind in ("429", "500", "502"):
            self.add(kind, probability=share)

    def clear(self) -> None:
        self.rules.clear()

    def pick(self, method: str) -> Fault | None:
        """The fault to apply to this call, if any, consuming one of its `times`."""
        for rule in self.rules:
            if not rule.matches(method):
                continue
            if rule.probability is not None and self._rng.random() >= rule.probability:
                continue
            if rule.remaining is not None:
                rule.remaining -= 1
            rule.hits += 1
            return rule
        return None
