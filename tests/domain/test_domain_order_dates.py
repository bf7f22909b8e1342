"""Vietnamese date inputs for order deadlines, and the lead-time check."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.order_dates import (
    BAD_TIME,
    DEFAULT_TIME,
    NO_SUCH_DAY,
    PAST,
    TOO_SOON,
    UNRECOGNISED,
    DateError,
    When,
    deadline_problem,
    parse_when,
)

SATURDAY = date(2026, 11, 21)
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(
    ("text", "day", "at"),
    [
        ("25/11", date(2026, 11, 25), None),
        ("25-11", date(2026, 11, 25), None),
        ("25.11", date(2026, 11, 25), None),
        ("25/11/2026", date(2026, 11, 25), None),
        ("25/11/27", date(2027, 11, 25), None),
        ("2026-11-25", date(2026, 11, 25), None),
        ("ngày 25/11", date(2026, 11, 25), None),
        ("mai", date(2026, 11, 22), None),
        ("Ngày mai", date(2026, 11, 22), None),
        ("ngay mai", date(2026, 11, 22), None),
        ("hôm nay", SATURDAY, None),
        ("hôm qua", date(2026, 11, 20), None),
        ("mốt", date(2026, 11, 23), None),
        ("thứ 6", date(2026, 11, 27), None),
        ("thứ sáu", date(2026, 11, 27), None),
        ("T6", date(2026, 11, 27), None),
        ("t7", SATURDAY, None),  # today is Saturday: the nearest one is today
        ("chủ nhật", date(2026, 11, 22), None),
        ("CN", date(2026, 11, 22), None),
        ("thứ 2 tuần sau", date(2026, 11, 23), None),
        ("2 ngày nữa", date(2026, 11, 23), None),
        ("tomorrow", date(2026, 11, 22), None),
        ("25/11 14h", date(2026, 11, 25), time(14, 0)),
        ("25/11 14h30", date(2026, 11, 25), time(14, 30)),
        ("25/11 lúc 9:05", date(2026, 11, 25), time(9, 5)),
        ("14:30", SATURDAY, time(14, 30)),
        ("thứ 6 2h chiều", date(2026, 11, 27), time(14, 0)),
        ("mai 8g", date(2026, 11, 22), time(8, 0)),
        ("05/01", date(2027, 1, 5), None),  # early January typed in November: next year
    ],
)
def test_reads_vietnamese_dates(text: str, day: date, at: time | None) -> None:
    assert parse_when(text, SATURDAY) == When(day, at)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("", UNRECOGNISED),
        ("sau Tết", UNRECOGNISED),
        ("mười hai", UNRECOGNISED),
        ("31/02", NO_SUCH_DAY),
        ("32/11", NO_SUCH_DAY),
        ("25/13", NO_SUCH_DAY),
        ("25/11 25h", BAD_TIME),
        ("25/11 14:75", BAD_TIME),
        ("x" * 80, UNRECOGNISED),
    ],
)
def test_refuses_what_is_not_a_date(text: str, key: str) -> None:
    with pytest.raises(DateError) as caught:
        parse_when(text, SATURDAY)
    assert caught.value.message_key == key


def test_a_day_without_time_ends_at_the_default_time_in_the_org_timezone() -> None:
    local = When(date(2026, 11, 25)).local(HCM)
    assert local.time() == DEFAULT_TIME
    assert local.astimezone(UTC) == datetime(2026, 11, 25, 11, 0, tzinfo=UTC)


def test_deadline_must_be_in_the_future_and_respect_the_lead_time() -> None:
    now = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
    assert deadline_problem(now - timedelta(minutes=1), now, 24) == (PAST, None)
    assert deadline_problem(now, now, 0) == (PAST, None)
    earliest = now + timedelta(hours=24)
    assert deadline_problem(now + timedelta(hours=23), now, 24) == (TOO_SOON, earliest)
    assert deadline_problem(earliest, now, 24) is None
    assert deadline_problem(now + timedelta(minutes=1), now, 0) is None


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2098, 12, 31)))
def test_every_numeric_date_round_trips(day: date) -> None:
    assert parse_when(day.strftime("%d/%m/%Y"), SATURDAY) == When(day)
    assert When.from_text(When(day).to_text()) == When(day)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2098, 12, 31)), st.integers(0, 6))
def test_a_weekday_is_within_the_coming_week(today: date, weekday: int) -> None:
    words = ["thứ 2", "thứ 3", "thứ 4", "thứ 5", "thứ 6", "thứ 7", "chủ nhật"]
    day = parse_when(words[weekday], today).day
    assert day.weekday() == weekday and 0 <= (day - today).days < 7


@given(st.integers(0, 23), st.integers(0, 59))
def test_every_clock_time_is_read(hour: int, minute: int) -> None:
    assert parse_when(f"25/11 {hour}:{minute:02d}", SATURDAY).at == time(hour, minute)
    assert parse_when(f"25/11 {hour}h{minute:02d}", SATURDAY).at == time(hour, minute)
