"""Reading `/off` requests: days, ranges, lists, weekdays, and the reason after them."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.day_off_dates import (
    BACKWARDS,
    PAST,
    TOO_FAR,
    TOO_MANY,
    UNRECOGNISED,
    DayOffError,
    check_days,
    parse_days_off,
)

TODAY = date(2026, 11, 21)  # a Saturday


def days(*numbers: int, month: int = 11) -> tuple[date, ...]:
    return tuple(date(2026, month, n) for n in numbers)


@pytest.mark.parametrize(
    ("text", "expected", "reason"),
    [
        ("25/11", days(25), None),
        ("25/11-27/11", days(25, 26, 27), None),
        ("25/11 - 27/11 về quê", days(25, 26, 27), "về quê"),
        ("25/11 đến 26/11", days(25, 26), None),
        ("25/11, 28/11 đi khám", days(25, 28), "đi khám"),
        ("25/11,28/11", days(25, 28), None),
        ("mai", days(22), None),
        ("ngày mai ốm", days(22), "ốm"),
        ("thứ 6", days(27), None),
        ("thứ sáu: việc gia đình", days(27), "việc gia đình"),
        ("t2 - t4", days(23, 24, 25), None),
        ("2026-12-01", (date(2026, 12, 1),), None),
        ("30/11-02/12", (date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)), None),
    ],
)
def test_days_and_reason(text: str, expected: tuple[date, ...], reason: str | None) -> None:
    request = parse_days_off(text, TODAY)
    assert request.days == expected
    assert request.reason == reason


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("về quê", UNRECOGNISED),
        ("14h", UNRECOGNISED),
        ("27/11-25/11", BACKWARDS),
        ("01/12-31/12", TOO_MANY),
        ("31/02", UNRECOGNISED),
    ],
)
def test_unreadable_requests(text: str, key: str) -> None:
    with pytest.raises(DayOffError) as caught:
        parse_days_off(text, TODAY)
    assert caught.value.message_key == key


def test_checks_on_the_days() -> None:
    check_days(days(21), TODAY)  # today is allowed
    for bad, key in ((days(20), PAST), ((date(2027, 3, 1),), TOO_FAR)):
        with pytest.raises(DayOffError) as caught:
            check_days(bad, TODAY)
        assert caught.value.message_key == key
    with pytest.raises(DayOffError) as caught:
        check_days(tuple(date(2026, 12, d) for d in range(1, 16)), TODAY)
    assert caught.value.message_key == TOO_MANY
