"""Telegram's sending limits as a small, pure limiter: every call counts, refused ones too.

``RateLimiter`` never reads a clock and never sleeps: every method takes the current time as a
float (seconds, any epoch), so tests drive it with explicit timestamps. The sender asks
``delay``, sleeps with its injected ``sleep``, ``record``s each call as it starts and tells the
limiter when the call was ``answered`` (and whether it was ``refused`` with a 429).

Limits (``RateLimits``, defaults from the Bot API FAQ): at most 30 calls per second overall,
1 per second in a private chat, 20 per minute in a group chat (negative chat id). Telegram
counts calls when they reach it, and a call reaches it somewhere between its start and its
answer; so a call counts against a window from its start until one period after its answer.
Whatever the network does, no second at Telegram sees more calls than the limit.

A 429's ``retry_after`` blocks the chat it came from until then. When several chats are refused
within one period (a quarter of the overall limit, 8 of 30), the whole bot is sending too
fast: the overall pace drops to three quarters of what it was (never below a quarter of the
limit) and comes back by a tenth of the limit each second.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

Sleep = Callable[[float], Awaitable[None]]
_PRUNE_ABOVE = 1024  # tracked chats before idle ones are forgotten
PACING_BURST_SECONDS = 0.1  # calls worth this long may start back to back (3 at 30/s)
CONGESTION_SHARE = 0.25  # refused chats within one period, as a share of the overall limit
SLOWDOWN = 0.75  # the pace after a congestion, as a share of the pace before it
MIN_PACE = 0.25  # the pace never drops below this share of the overall limit
RECOVERY_PER_SECOND = 0.1  # share of the overall limit the pace regains each second


@dataclass(frozen=True)
class Rate:
    """At most ``count`` calls in any ``period`` seconds."""

    count: int
    period: float

    def __post_init__(self) -> None:
        if self.count < 1 or self.period <= 0:
            raise ValueError("a rate needs count >= 1 and period > 0")


@dataclass(frozen=True)
class RateLimits:
    overall: Rate = field(default_factory=lambda: Rate(30, 1.0))
    private_chat: Rate = field(default_factory=lambda: Rate(1, 1.0))
    group_chat: Rate = field(default_factory=lambda: Rate(20, 60.0))

    def for_chat(self, chat_id: int) -> Rate:
        return self.group_chat if chat_id < 0 else self.private_chat

    @property
    def congestion_chats(self) -> int:
        """Chats refused within one overall period that mean the bot as a whole is too fast."""
        return max(2, math.ceil(self.overall.count * CONGESTION_SHARE))


@dataclass(eq=False)
class Call:
    """One Bot API call: started at ``started``, answered at ``answered`` (None: in flight)."""

    chat_id: int
    started: float
    answered: float | None = None

    def counts_at(self, now: float, period: float) -> bool:
        """May this call have reached Telegram within the period before ``now``?"""
        return self.answered is None or self.answered > now - period


class _Window:
    """The calls that may have reached Telegram within the last ``rate.period`` seconds."""

    __slots__ = ("calls", "rate")

    def __init__(self, rate: Rate) -> None:
        self.rate = rate
        self.calls: deque[Call] = deque()  # in the order they started

    def _forget(self, now: float) -> None:
        period = self.rate.period
        while self.calls and not self.calls[0].counts_at(now, period):
            self.calls.popleft()

    def delay(self, now: float) -> float:
        self._forget(now)
        if len(self.calls) < self.rate.count:
            return 0.0
        period = self.rate.period
        live = [c for c in self.calls if c.counts_at(now, period)]
        excess = len(live) - self.rate.count
        if excess < 0:
            return 0.0
        # The call whose dropping out frees a place; one still in flight frees it a whole
        # period after its answer at the earliest (the sender looks again when it is answered).
        ends = sorted(c.answered + period if c.answered is not None else math.inf for c in live)
        free_at = ends[excess]
        return period if math.isinf(free_at) else max(0.0, free_at - now)

    def record(self, call: Call) -> None:
        self._forget(call.started)
        self.calls.append(call)

    def idle(self, now: float) -> bool:
        self._forget(now)
        return not any(c.counts_at(now, self.rate.period) for c in self.calls)


class RateLimiter:
    """Pure limiter: ``delay`` says how long to wait before a call, ``record`` notes its start,
    ``answered`` its answer, ``refused`` a 429."""

    def __init__(self, limits: RateLimits | None = None) -> None:
        self.limits = limits or RateLimits()
        self._overall = _Window(self.limits.overall)
        # Calls are also paced by a token bucket (30 tokens/s, at most a few saved up), not
        # started in bursts of 30: a burst arriving late next to the following one would look
        # like 60 calls in one second. The bucket fills at the current pace.
        overall = self.limits.overall
        self._token_rate = overall.count / overall.period
        self._burst = float(max(1, round(self._token_rate * PACING_BURST_SECONDS)))
        self._tokens = self._burst
        self._tokens_at: float | None = None
        self._chats: dict[int, _Window] = {}
        self._blocked_until: dict[int, float] = {}
        self._refusals: deque[tuple[float, int]] = deque()
        self._slow_pace = 1.0  # the pace right after the last congestion
        self._slowed_at: float | None = None

    # asking

    def delay(self, chat_id: int, now: float) -> float:
        """Seconds to wait before a call to ``chat_id`` may start at ``now`` (0: go)."""
        return max(self.overall_delay(now), self.chat_delay(chat_id, now))

    def overall_delay(self, now: float) -> float:
        """Seconds until the overall limit and pace let any call start."""
        waits = [self._overall.delay(now)]
        self._fill(now)
        if self._tokens < 1.0:
            waits.append((1.0 - self._tokens) / (self._token_rate * self.pace(now)))
        return max(waits)

    def chat_delay(self, chat_id: int, now: float) -> float:
        """Seconds until ``chat_id``'s own limit and any 429 block let a call to it start."""
        waits = [self._blocked_until.get(chat_id, now) - now]
        window = self._chats.get(chat_id)
        if window is not None:
            waits.append(window.delay(now))
        return max(0.0, *waits)

    def pace(self, now: float) -> float:
        """The share of the overall limit the bucket fills at (1.0 unless slowed down)."""
        if self._slowed_at is None:
            return 1.0
        regained = RECOVERY_PER_SECOND * max(0.0, now - self._slowed_at)
        return min(1.0, self._slow_pace + regained)

    # telling

    def record(self, chat_id: int, now: float) -> Call:
        """A call to ``chat_id`` starts at ``now``; pass the result to ``answered``."""
        call = Call(chat_id, now)
        self._overall.record(call)
        self._fill(now)
        self._tokens -= 1.0
        window = self._chats.get(chat_id)
        if window is None:
            window = self._chats[chat_id] = _Window(self.limits.for_chat(chat_id))
        window.record(call)
        if len(self._chats) > _PRUNE_ABOVE:
            self._prune(now)
        return call

    def answered(self, call: Call, now: float) -> None:
        """Telegram answered ``call`` at ``now`` (accepted or not: it counted either way)."""
        if call.answered is None:
            call.answered = max(now, call.started)

    def refused(self, chat_id: int, now: float, retry_after: float) -> None:
        """A call to ``chat_id`` was answered 429 at ``now``: the chat waits ``retry_after``;
        several chats refused within one period slow the overall pace down."""
        self.block(chat_id, now + retry_after)
        period = self.limits.overall.period
        self._refusals.append((now, chat_id))
        while self._refusals and self._refusals[0][0] <= now - period:
            self._refusals.popleft()
        if len({chat for _, chat in self._refusals}) >= self.limits.congestion_chats:
            self._fill(now)  # tokens earned so far at the old pace
            self._slow_pace = max(MIN_PACE, self.pace(now) * SLOWDOWN)
            self._slowed_at = now
            self._refusals.clear()

    def block(self, chat_id: int, until: float) -> None:
        """Nothing goes to ``chat_id`` before ``until`` (Telegram's ``retry_after``)."""
        self._blocked_until[chat_id] = max(until, self._blocked_until.get(chat_id, until))

    def _fill(self, now: float) -> None:
        if self._tokens_at is not None and now > self._tokens_at:
            elapsed = now - self._tokens_at
            # The pace changes linearly while it recovers: the mean of both ends.
            pace = (self.pace(self._tokens_at) + self.pace(now)) / 2
            self._tokens = min(self._burst, self._tokens + elapsed * self._token_rate * pace)
        if self._tokens_at is None or now > self._tokens_at:
            self._tokens_at = now

    def _prune(self, now: float) -> None:
        for chat_id in [c for c, w in self._chats.items() if w.idle(now)]:
            del self._chats[chat_id]
        for chat_id in [c for c, t in self._blocked_until.items() if t <= now]:
            del self._blocked_until[chat_id]
