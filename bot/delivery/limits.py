"""Telegram's sending limits as a small, pure sliding-window limiter.

``RateLimiter`` never reads a clock and never sleeps: every call takes the current time as a
float (seconds, any epoch), so tests drive it with explicit timestamps. The sender asks
``delay``, sleeps with its injected ``sleep`` and ``record``s each send.

Limits (``RateLimits``, defaults from the Bot API FAQ): at most 30 messages per second overall,
1 per second in a private chat, 20 per minute in a group chat (negative chat id). A 429's
``retry_after`` blocks the chat it came from until then (``block``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

Sleep = Callable[[float], Awaitable[None]]
_GLOBAL = "global"
_PRUNE_ABOVE = 1024  # tracked chats before idle ones are forgotten
PACING_BURST = 3  # overall sends that may go back to back before pacing applies


@dataclass(frozen=True)
class Rate:
    """At most ``count`` messages in any ``period`` seconds."""

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


class _Window:
    """Send times inside the last ``rate.period`` seconds."""

    __slots__ = ("rate", "times")

    def __init__(self, rate: Rate) -> None:
        self.rate = rate
        self.times: deque[float] = deque()

    def _forget(self, now: float) -> None:
        while self.times and self.times[0] <= now - self.rate.period:
            self.times.popleft()

    def delay(self, now: float) -> float:
        self._forget(now)
        if len(self.times) < self.rate.count:
            return 0.0
        return max(0.0, self.times[0] + self.rate.period - now)

    def record(self, now: float) -> None:
        self._forget(now)
        self.times.append(now)

    def idle(self, now: float) -> bool:
        self._forget(now)
        return not self.times


class RateLimiter:
    """Pure limiter: ``delay`` says how long to wait before sending, ``record`` notes a send."""

    def __init__(self, limits: RateLimits | None = None) -> None:
        self.limits = limits or RateLimits()
        self._overall = _Window(self.limits.overall)
        # Overall sends are also paced by a token bucket (30 tokens/s, at most a few saved up),
        # not sent in bursts of 30: a burst arriving late next to the following one would
        # look like 60 messages in one second. A refused send (429) gets its token back.
        overall = self.limits.overall
        self._token_rate = overall.count / overall.period
        self._burst = float(min(PACING_BURST, overall.count))
        self._tokens = self._burst
        self._tokens_at: float | None = None
        self._chats: dict[int, _Window] = {}
        self._blocked_until: dict[int, float] = {}

    def delay(self, chat_id: int, now: float) -> float:
        """Seconds to wait before a message to ``chat_id`` may go out at ``now`` (0: send)."""
        waits = [self._overall.delay(now), self._blocked_until.get(chat_id, now) - now]
        self._fill(now)
        if self._tokens < 1.0:
            waits.append((1.0 - self._tokens) / self._token_rate)
        window = self._chats.get(chat_id)
        if window is not None:
            waits.append(window.delay(now))
        return max(0.0, *waits)

    def record(self, chat_id: int, now: float) -> None:
        """A message to ``chat_id`` was sent at ``now``."""
        self._overall.record(now)
        self._fill(now)
        self._tokens -= 1.0
        window = self._chats.get(chat_id)
        if window is None:
            window = self._chats[chat_id] = _Window(self.limits.for_chat(chat_id))
        window.record(now)
        if len(self._chats) > _PRUNE_ABOVE:
            self._prune(now)

    def refund(self, at: float) -> None:
        """A send recorded at ``at`` was refused (429): it delivered nothing, so it does not use
        the overall budget. The chat stays blocked by ``block`` meanwhile."""
        if at in self._overall.times:
            self._overall.times.remove(at)
            self._tokens = min(self._burst, self._tokens + 1.0)

    def _fill(self, now: float) -> None:
        if self._tokens_at is not None and now > self._tokens_at:
            elapsed = now - self._tokens_at
            self._tokens = min(self._burst, self._tokens + elapsed * self._token_rate)
        if self._tokens_at is None or now > self._tokens_at:
            self._tokens_at = now

    def block(self, chat_id: int, until: float) -> None:
        """Nothing goes to ``chat_id`` before ``until`` (Telegram's ``retry_after``)."""
        self._blocked_until[chat_id] = max(until, self._blocked_until.get(chat_id, until))

    def _prune(self, now: float) -> None:
        for chat_id in [c for c, w in self._chats.items() if w.idle(now)]:
            del self._chats[chat_id]
        for chat_id in [c for c, t in self._blocked_until.items() if t <= now]:
            del self._blocked_until[chat_id]
