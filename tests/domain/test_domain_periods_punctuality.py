"""Periods (/kpi week|month|YYYY-MM) and report punctuality against the org deadline."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from bot.domain.periods import month_period, parse_period
from bot.domain.punctuality import punctuality, report_deadline

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
    result = punctuality(days, sent, time(10, 30), "previous_day", HCM)
    assert [v for _, v in result.days] == ["on_time", "late", "missing"]
    assert result.on_time_rate == 1 / 3
