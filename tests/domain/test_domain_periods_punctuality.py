"""Periods (/kpi week|month|YYYY-MM) and report punctuality against the org deadline."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.discipline import Covers
from bot.domain.periods import month_period, parse_period
from bot.domain.punctuality import DueRule, punctuality, report_deadline

TODAY = date(2026, 11, 20)
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def test_parse_period_words_and_months() -> None:
    assert parse_period(None, TODAY) == month_period(2026, 11)
    assert parse_period("tuần", TODAY).label == "2026-W47"  # type: ignore[union-attr]
    assert parse_period("2026-02", TODAY) == month_period(2026, 2)
    assert parse_period("2026-13", TODAY) is None
    assert parse_period("soon", TODAY) is None


def test_previous_month_of_january_is_december() -> None:
    assert month_period(2026, 1).previous() == month_period(2025, 12)


def test_deadline_is_next_morning_for_previous_day_reports() -> None:
    due = report_deadline(TODAY, time(10, 30), "previous_day", HCM)
    assert due.astimezone(UTC) == datetime(2026, 11, 21, 3, 30, tzinfo=UTC)
    assert report_deadline(TODAY, time(18, 0), "same_day", HCM).date() == TODAY


def test_on_time_late_missing() -> None:
    days = [date(2026, 11, d) for d in (18, 19, 20)]
    sent = {
        days[0]: datetime(2026, 11, 19, 3, 0, tzinfo=UTC),  # 10:00 local: on time
        days[1]: datetime(2026, 11, 20, 4, 0, tzinfo=UTC),  # 11:00 local: late
    }
    result = punctuality(days, sent, RULE, local(2026, 11, 22, 9, 0))
    assert [v for _, v in result.days] == ["on_time", "late", "missing"]
    assert result.on_time_rate == 1 / 3


# --- which reports are due: one rule, at 05:00 and at 11:00 ----------------------------------

RULE = DueRule(time(10, 30), "previous_day", HCM)
DAYS_TO_20 = [date(2026, 11, d) for d in range(14, 21)]


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=HCM)


def test_at_05_00_yesterday_s_report_is_not_due_and_not_missing() -> None:
    at = local(2026, 11, 21, 5, 0)
    assert not RULE.is_due(date(2026, 11, 20), at)
    assert RULE.is_due(date(2026, 11, 19), at)
    assert RULE.last_due(at) == date(2026, 11, 19)
    on_time = {d: RULE.deadline_of(d) - timedelta(hours=2) for d in DAYS_TO_20[:-1]}
    result = punctuality(DAYS_TO_20, on_time, RULE, at)
    assert result.count("missing") == 0 and result.on_time_rate == 1.0
    assert [d for d, _ in result.days] == DAYS_TO_20[:-1]


def test_at_11_00_yesterday_s_missing_report_counts() -> None:
    at = local(2026, 11, 21, 11, 0)
    assert RULE.is_due(date(2026, 11, 20), at)
    assert RULE.last_due(at) == date(2026, 11, 20)
    on_time = {d: RULE.deadline_of(d) - timedelta(hours=2) for d in DAYS_TO_20[:-1]}
    result = punctuality(DAYS_TO_20, on_time, RULE, at)
    assert result.count("missing") == 1 and result.days[-1] == (date(2026, 11, 20), "missing")
    assert result.on_time_rate == 6 / 7


def test_a_report_sent_early_counts_on_time_before_its_deadline() -> None:
    day = date(2026, 11, 20)
    sent = {day: local(2026, 11, 21, 4, 0)}
    for at in (local(2026, 11, 21, 5, 0), local(2026, 11, 21, 11, 0)):
        assert punctuality([day], sent, RULE, at).days == ((day, "on_time"),)
    assert punctuality([day], {}, RULE, local(2026, 11, 21, 5, 0)).days == ()


def test_the_deadline_instant_itself_is_due() -> None:
    day = date(2026, 11, 20)
    deadline = RULE.deadline_of(day)
    assert RULE.is_due(day, deadline)
    assert not RULE.is_due(day, deadline - timedelta(microseconds=1))


def test_same_day_reports_fall_due_the_same_evening() -> None:
    rule = DueRule(time(18, 0), "same_day", HCM)
    assert rule.last_due(local(2026, 11, 21, 17, 59)) == date(2026, 11, 20)
    assert rule.last_due(local(2026, 11, 21, 18, 0)) == date(2026, 11, 21)


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        RULE.is_due(date(2026, 11, 20), datetime(2026, 11, 21, 11, 0))


@settings(max_examples=300, deadline=None)
@given(
    at=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    ),
    deadline=st.times(),
    covers=st.sampled_from(["previous_day", "same_day"]),
    zone=st.sampled_from(["Asia/Ho_Chi_Minh", "Europe/Berlin", "America/New_York", "UTC"]),
    offset=st.integers(min_value=-5, max_value=5),
)
def test_last_due_is_the_newest_day_the_rule_calls_due(
    at: datetime, deadline: time, covers: Covers, zone: str, offset: int
) -> None:
    rule = DueRule(deadline, covers, ZoneInfo(zone))
    newest = rule.last_due(at)
    assert rule.is_due(newest, at)
    assert not rule.is_due(newest + timedelta(days=1), at)
    day = newest + timedelta(days=offset)
    assert rule.is_due(day, at) == (day <= newest)
