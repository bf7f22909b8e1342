"""The pure rate limiter, driven by explicit timestamps (no sleeping)."""

from __future__ import annotations

import pytest

from bot.delivery.limits import Rate, RateLimiter, RateLimits
from bot.delivery.sender import MAX_BACKOFF_SECONDS, backoff_seconds

USER = 501
OTHER = 502
GROUP = -100500


def test_private_chat_gets_one_message_per_second() -> None:
    limiter = RateLimiter()
    assert limiter.delay(USER, 100.0) == 0
    limiter.record(USER, 100.0)
    assert limiter.delay(USER, 100.0) == pytest.approx(1.0)
    assert limiter.delay(USER, 100.4) == pytest.approx(0.6)
    assert limiter.delay(OTHER, 100.4) == 0  # other chats are not held up
    assert limiter.delay(USER, 101.0) == 0


def test_group_chat_gets_twenty_messages_per_minute() -> None:
    limiter = RateLimiter()
    for i in range(20):
        assert limiter.delay(GROUP, 10.0 + i) == 0
        limiter.record(GROUP, 10.0 + i)
    assert limiter.delay(GROUP, 30.0) == pytest.approx(40.0)  # the first send leaves at 70
    assert limiter.delay(GROUP, 70.0) == 0
    limiter.record(GROUP, 70.0)
    assert limiter.delay(GROUP, 70.5) == pytest.approx(0.5)  # the second one leaves at 71


def test_thirty_messages_per_second_overall_paced_not_bursted() -> None:
    limiter = RateLimiter()
    for chat in (1, 2, 3):  # a small burst is allowed
        assert limiter.delay(chat, 5.0) == 0
        limiter.record(chat, 5.0)
    assert limiter.delay(4, 5.0) == pytest.approx(1 / 30)  # then 1/30 s apart
    now, times = 5.0, [5.0, 5.0, 5.0]
    for chat in range(4, 91):
        now += limiter.delay(chat, now) + 1e-9
        limiter.record(chat, now)
        times.append(now)
    # The window is the hard cap: never more than 30 within one second, and no slower.
    assert all(times[i + 30] - times[i] >= 1.0 for i in range(len(times) - 30))
    assert times[-1] - times[0] == pytest.approx(87 / 30, abs=0.01)  # 30/s after the burst


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
    limiter.record(USER, 0.0)
    assert limiter.delay(USER, 0.5) == 0  # private 5/s; overall 2/s spread 0.5 s apart
    limiter.record(GROUP, 0.5)
    assert limiter.delay(USER, 0.5) == pytest.approx(0.5)  # overall 2/s reached
    assert limiter.delay(GROUP, 1.0) == pytest.approx(2.5)
    with pytest.raises(ValueError):
        Rate(0, 1.0)


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_seconds(n) for n in range(1, 6)] == [1, 2, 4, 8, 16]
    assert backoff_seconds(30) == MAX_BACKOFF_SECONDS == 300


def test_a_refused_send_gives_its_overall_slot_back() -> None:
    limiter = RateLimiter(RateLimits(overall=Rate(2, 1.0)))
    limiter.record(USER, 0.0)
    limiter.record(OTHER, 0.1)
    assert limiter.delay(GROUP, 0.2) == pytest.approx(0.8)
    limiter.refund(0.1)  # the send to OTHER was answered 429
    assert limiter.delay(GROUP, 0.2) == 0.0  # its token is back too
    limiter.record(GROUP, 0.2)
    limiter.refund(5.0)  # unknown times give nothing back
    assert limiter.delay(USER, 0.2) == pytest.approx(0.8)
