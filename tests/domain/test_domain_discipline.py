"""Discipline arithmetic: due days, working days back, missing streaks, coverage."""

from __future__ import annotations

from datetime import date, timedelta

from bot.domain.discipline import (
    STREAK_CAP,
    Coverage,
    business_date_due_on,
    due_day,
    missing_streak,
    working_days_back,
)

FRI = date(2026, 11, 20)


def weekdays_only(day: date) -> bool:
    return day.weekday() < 5


def test_due_day_follows_what_reports_cover() -> None:
    assert due_day(FRI, "previous_day") == date(2026, 11, 21)
    assert due_day(FRI, "same_day") == FRI
    assert business_date_due_on(date(2026, 11, 21), "previous_day") == FRI
    assert business_date_due_on(FRI, "same_day") == FRI


def test_working_days_back_skip_weekends_and_stop_at_the_count() -> None:
    days = working_days_back(date(2026, 11, 23), weekdays_only, count=3)  # a Monday
    assert days == [date(2026, 11, 23), FRI, date(2026, 11, 19)]


def test_working_days_back_stop_at_the_lookback() -> None:
    assert working_days_back(FRI, lambda day: day == FRI - timedelta(days=60)) == []


def test_streak_counts_missed_days_until_the_first_report() -> None:
    days = [FRI - timedelta(days=i) for i in range(5)]
    missed = {days[0], days[1], days[2], days[4]}
    assert missing_streak(days, missed) == 3


def test_excused_days_neither_count_nor_break_the_streak() -> None:
    days = [FRI - timedelta(days=i) for i in range(5)]
    missed = {days[0], days[2], days[3]}
    assert missing_streak(days, missed, excused_on={days[1]}) == 3


def test_days_before_joining_do_not_count() -> None:
    days = [FRI - timedelta(days=i) for i in range(5)]
    assert missing_streak(days, set(days), since=days[1]) == 2


def test_streak_is_capped() -> None:
    days = [FRI - timedelta(days=i) for i in range(30)]
    assert missing_streak(days, set(days)) == STREAK_CAP


def test_coverage_percent_rounds_down_and_adds_up() -> None:
    assert Coverage(5, 7).percent == 71
    assert Coverage(199, 200).percent == 99
    assert Coverage(0, 0).percent == 100
    assert Coverage(1, 2) + Coverage(2, 3) == Coverage(3, 5)
