"""Monthly targets spread over days by weight (campaign days weigh more)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.plan_days import daily_plan, daily_share, day_weights


def test_equal_days_without_weights() -> None:
    plan = daily_plan(300.0, 2026, 11, {})
    assert len(plan) == 30
    assert plan[date(2026, 11, 1)] == pytest.approx(10.0)
    assert sum(plan.values()) == pytest.approx(300.0)


def test_a_double_day_weighs_more_and_the_month_still_adds_up() -> None:
    plan = daily_plan(320.0, 2026, 11, {"11": 3.0})
    assert plan[date(2026, 11, 11)] == pytest.approx(30.0)  # 3 of 32 weight units
    assert plan[date(2026, 11, 12)] == pytest.approx(10.0)
    assert sum(plan.values()) == pytest.approx(320.0)
    assert daily_share(date(2026, 11, 11), {"11": 3.0}) == pytest.approx(3 / 32)


def test_february_and_zero_weights() -> None:
    assert len(day_weights(2028, 2, {})) == 29
    zero = {str(d): 0.0 for d in range(1, 29)}
    assert set(daily_plan(100.0, 2026, 2, zero).values()) == {0.0}
    assert daily_share(date(2026, 2, 3), zero) == 0.0
