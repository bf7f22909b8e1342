"""The pure rate limiter, driven by explicit timestamps (no sleeping)."""

from __future__ import annotations

import pytest

from bot.delivery.limits import (
    MIN_PACE,
    RECOVERY_PER_SECOND,
    SLOWDOWN,
    Rate,
    RateLimiter,
    RateLimits,
)
from bot.delivery.sender import MAX_BACKOFF_SECONDS, backoff_seconds

USER = 501
OTHER = 502
GROUP = -100500


def send(limiter: RateLimiter, chat_id: int, at: float, answered: float | None = None) -> None:
    """A call started at ``at`` and answered at ``answered`` (default: at once)."""
    call = limiter.record(chat_id, at)
    limiter.answered(call, at if answered is None else answered)


def test_private_chat_gets_one_message_per_second() -> None:
    limiter = RateLimiter()
    assert limiter.delay(USER, 100.0) == 0
    send(limiter, USER, 100.0)
    assert limiter.delay(USER, 100.0) == pytest.approx(1.0)
    assert limiter.delay(USER, 100.4) == pytest.approx(0.6)
    assert limiter.delay(OTHER, 100.4) == 0  # other chats are not held up
    assert limiter.delay(USER, 101.0) == 0


def test_group_chat_gets_twenty_messages_per_minute() -> None:
    limiter = RateLimiter()
    for i in range(20):
        assert limiter.delay(GROUP, 10.0 + i) == 0
        send(limiter, GROUP, 10.0 + i)
    assert limiter.delay(GROUP, 30.0) == pytest.approx(40.0)  # the first send leaves at 70
    assert limiter.delay(GROUP, 70.0) == 0
    send(limiter, GROUP, 70.0)
    assert limiter.delay(GROUP, 70.5) == pytest.approx(0.5)  # the second one leaves at 71


def test_thirty_messages_per_second_overall_paced_not_bursted() -> None:
    limiter = RateLimiter()
    for chat in (1, 2, 3):  # a small burst is allowed
        assert limiter.delay(chat, 5.0) == 0
        send(limiter, chat, 5.0)
    assert limiter.delay(4, 5.0) == pytest.approx(1 / 30)  # then 1/30 s apart
    now, times = 5.0, [5.0, 5.0, 5.0]
    for chat in range(4, 91):
        now += limiter.delay(chat, now) + 1e-9
        send(limiter, chat, now)
        times.append(now)
    # The window is the hard cap: never more than 30 within one second, and no slower.
    assert all(times[i + 30] - times[i] >= 1.0 for i in range(len(times) - 30))
    assert times[-1] - times[0] == pytest.approx(87 / 30, abs=0.01)  # 30/s after the burst


def test_a_call_counts_until_a_period_after_its_answer() -> None:
    # Telegram counts a call when it arrives, anywhere between its start and its answer: a
    # slow answer keeps the call in the window longer, so arrivals never bunch up.
    limiter = RateLimiter(RateLimits(overall=Rate(2, 1.0)))
    first = limiter.record(USER, 0.0)
    send(limiter, OTHER, 0.5)
    assert limiter.overall_delay(1.2) == pytest.approx(0.3)  # the answered one leaves at 1.5
    assert limiter.overall_delay(1.5) == 0  # one place left: the other is still in flight
    send(limiter, OTHER, 5.0)
    # Five seconds on, the first call is still in flight: it may arrive any moment, so its
    # place stays taken until a period after its answer.
    assert limiter.overall_delay(5.5) == pytest.approx(0.5)
    limiter.answered(first, 5.8)
    assert limiter.overall_delay(6.0) == 0  # the call of 5.0 has left the window
    send(limiter, GROUP, 6.0)
    assert limiter.overall_delay(6.1) == pytest.approx(0.7)  # the first one leaves at 6.8
    assert limiter.chat_delay(USER, 6.1) == pytest.approx(0.7)  # and its chat waits as long


def test_retry_after_blocks_only_that_chat() -> None:
    limiter = RateLimiter()
    limiter.block(USER, 50.0)
    assert limiter.delay(USER, 20.0) == pytest.approx(30.0)
    assert limiter.delay(OTHER, 20.0) == 0
    limiter.block(USER, 40.0)  # an earlier deadline does not shorten the block
    assert limiter.delay(USER, 45.0) == pytest.approx(5.0)
    assert limiter.delay(USER, 50.0) == 0


def test_limits_are_configurable() -> None:
    limits = RateLimits(overall=Rate(2, 1.0), private_chat=Rate(5, 1.0), group_chat=Rate(1, 3.0))
    limiter = RateLimiter(limits)
    send(limiter, USER, 0.0)
    assert limiter.delay(USER, 0.5) == 0  # private 5/s; overall 2/s spread 0.5 s apart
    send(limiter, GROUP, 0.5)
    assert limiter.delay(USER, 0.5) == pytest.approx(0.5)  # overall 2/s reached
    assert limiter.delay(GROUP, 1.0) == pytest.approx(2.5)
    with pytest.raises(ValueError):
        Rate(0, 1.0)


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_seconds(n) for n in range(1, 6)] == [1, 2, 4, 8, 16]
    assert backoff_seconds(30) == MAX_BACKOFF_SECONDS == 300


def test_a_refused_call_keeps_its_place_in_every_window() -> None:
    limiter = RateLimiter(RateLimits(overall=Rate(2, 1.0)))
    send(limiter, USER, 0.0)
    send(limiter, OTHER, 0.1)
    limiter.refused(OTHER, 0.1, retry_after=3)  # answered 429: it still reached Telegram
    assert limiter.delay(GROUP, 0.2) == pytest.approx(0.8)
    assert limiter.delay(GROUP, 1.0) == 0
    assert limiter.chat_delay(OTHER, 1.0) == pytest.approx(2.1)  # retry_after from the answer
    assert limiter.pace(1.0) == 1.0  # one chat refused is that chat's business


def _calls_within(limiter: RateLimiter, start: float, seconds: float) -> list[float]:
    """Start calls to fresh chats as fast as the limiter allows; their start times."""
    times, now = [], start
    for chat in range(1000, 2000):
        now += limiter.delay(chat, now) + 1e-9
        if now >= start + seconds:
            return times
        send(limiter, chat, now)
        times.append(now)
    raise AssertionError("the limiter let everything through")


def test_several_chats_refused_within_a_second_slow_everything_then_it_recovers() -> None:
    slowed, steady = RateLimiter(), RateLimiter()  # 30/s: eight chats refused is congestion
    assert RateLimits().congestion_chats == 8
    for limiter in (slowed, steady):
        for chat in range(1, 9):
            send(limiter, chat, chat * 0.1)
    for chat in range(1, 8):
        slowed.refused(chat, chat * 0.1, retry_after=1)
    assert slowed.pace(0.75) == 1.0  # seven chats are not yet
    slowed.refused(8, 0.8, retry_after=1)
    assert slowed.pace(0.8) == pytest.approx(SLOWDOWN)

    first_second = _calls_within(slowed, 0.8, 1.0)
    assert len(first_second) < len(_calls_within(steady, 0.8, 1.0)) - 3
    recovered = 0.8 + (1 - SLOWDOWN) / RECOVERY_PER_SECOND
    assert slowed.pace(recovered - 0.1) < 1.0 and slowed.pace(recovered) == 1.0
    # Back at full pace: as many calls per second as a limiter that was never slowed.
    assert len(_calls_within(slowed, 5.0, 2.0)) == len(_calls_within(steady, 5.0, 2.0))


def test_repeated_congestion_slows_down_further_but_never_below_the_floor() -> None:
    limiter = RateLimiter()
    now = 0.0
    for _round in range(10):
        for chat in range(1, 9):
            limiter.refused(chat + _round * 10, now, retry_after=1)
        now += 0.001
    assert limiter.pace(now) == pytest.approx(MIN_PACE, abs=0.01)
    assert limiter.overall_delay(now + 10) == 0
