"""Alert rules and states: each rule type, hysteresis, snooze, escalation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.alerts import (
    AlertStatus,
    Finding,
    above_pace,
    anomaly,
    baseline_days,
    daily,
    escalation_chain,
    escalation_due,
    missing_data,
    pacing,
    ratio_band,
    sums_of,
    transition,
)

NOW = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)
BREACH = Finding(breached=True, cleared=False)
CLEAR = Finding(breached=False, cleared=True)
GREY = Finding(breached=False, cleared=False)


# --- rule types ---------------------------------------------------------------------------------


def test_pacing_breaches_below_threshold_and_reports_the_numbers() -> None:
    finding = pacing(actual=80, plan_to_date=100, threshold_percent=90)
    assert finding is not None and finding.breached and not finding.cleared
    assert finding.numbers == {"actual": 80, "plan": 100, "percent": 80, "threshold": 90}


def test_pacing_on_plan_is_cleared_and_just_above_threshold_is_neither() -> None:
    on_plan = pacing(actual=100, plan_to_date=100, threshold_percent=90)
    assert on_plan is not None and on_plan.cleared and not on_plan.breached
    wobble = pacing(actual=91, plan_to_date=100, threshold_percent=90)  # < 90 * 1.02
    assert wobble is not None and not wobble.breached and not wobble.cleared


def test_pacing_without_plan_cannot_tell() -> None:
    assert pacing(actual=80, plan_to_date=None, threshold_percent=90) is None
    assert pacing(actual=80, plan_to_date=0, threshold_percent=90) is None


def test_above_pace_breaches_over_threshold_with_hysteresis() -> None:
    burning = above_pace(actual=130, plan_to_date=100, threshold_percent=120)
    assert burning is not None and burning.breached and not burning.cleared
    assert burning.numbers == {"actual": 130, "plan": 100, "percent": 130, "threshold": 120}
    wobble = above_pace(actual=119, plan_to_date=100, threshold_percent=120)  # > 120 * 0.98
    assert wobble is not None and not wobble.breached and not wobble.cleared
    calm = above_pace(actual=100, plan_to_date=100, threshold_percent=120)
    assert calm is not None and calm.cleared and not calm.breached
    assert above_pace(actual=10, plan_to_date=0, threshold_percent=120) is None


def test_daily_above_and_below() -> None:
    above = daily(25_000_000, 20_000_000, "above")
    assert above is not None and above.breached
    assert above.numbers == {"value": 25_000_000, "threshold": 20_000_000}
    fine = daily(15_000_000, 20_000_000, "above")
    assert fine is not None and fine.cleared
    below = daily(40, 50, "below")
    assert below is not None and below.breached
    assert daily(None, 50, "below") is None


def test_ratio_band_outside_either_side() -> None:
    high = ratio_band(9.5, None, 8)
    assert high is not None and high.breached and high.numbers["high"] == 8
    low = ratio_band(2.1, 3, None)
    assert low is not None and low.breached
    inside = ratio_band(5, 3, 8)
    assert inside is not None and inside.cleared and not inside.breached
    edge = ratio_band(7.95, 3, 8)  # inside, but within the hysteresis band of 8
    assert edge is not None and not edge.breached and not edge.cleared
    assert ratio_band(None, 3, 8) is None


def test_ratios_come_from_sums_not_averages() -> None:
    days = {
        date(2026, 11, 1): {"cancelled": 1, "orders": 100},
        date(2026, 11, 2): {"cancelled": 9, "orders": 10},
    }
    totals = sums_of(days)
    assert totals == {"cancelled": 10, "orders": 110}
    # 10/110 = 9.1 %, while the average of the daily rates (1 % and 90 %) would be 45.5 %
    assert round(totals["cancelled"] / totals["orders"] * 100, 1) == 9.1


def test_anomaly_drop_against_the_median() -> None:
    history = [100, 95, 105, 100, 300, 98, 102]  # one spike does not move a median
    finding = anomaly(55, history, drop_percent=40)
    assert finding is not None and finding.breached
    assert finding.numbers["median"] == 100 and finding.numbers["drop"] == 45
    small = anomaly(70, history, drop_percent=40)
    assert small is not None and not small.breached and small.cleared


def test_anomaly_needs_enough_history_and_a_positive_baseline() -> None:
    assert anomaly(10, [100, 100], drop_percent=40) is None
    assert anomaly(10, [0, 0, 0], drop_percent=40) is None
    assert anomaly(None, [100, 100, 100], drop_percent=40) is None


def test_baseline_days_last_days_and_same_weekday() -> None:
    day = date(2026, 11, 20)  # a Friday
    assert baseline_days(day, 3, "last_days") == [
        date(2026, 11, 17),
        date(2026, 11, 18),
        date(2026, 11, 19),
    ]
    fridays = baseline_days(day, 28, "same_weekday")
    assert fridays == [
        date(2026, 10, 23),
        date(2026, 10, 30),
        date(2026, 11, 6),
        date(2026, 11, 13),
    ]


def test_missing_data_only_when_every_checked_day_is_missing() -> None:
    days = [date(2026, 11, 19), date(2026, 11, 20)]
    missing = missing_data(days, set())
    assert missing is not None and missing.breached and missing.numbers["days"] == 2
    one_reported = missing_data(days, {date(2026, 11, 19)})
    assert one_reported is not None and not one_reported.breached and one_reported.cleared
    assert missing_data([], set()) is None


# --- states and hysteresis ----------------------------------------------------------------------


def test_a_new_breach_opens_and_notifies_once() -> None:
    first = transition(None, BREACH, NOW)
    assert first.state is AlertStatus.OPEN and first.notice == "opened"
    again = transition(AlertStatus.OPEN, BREACH, NOW)
    assert again.state is AlertStatus.OPEN and again.notice is None


def test_no_breach_and_no_alert_stays_nothing() -> None:
    assert transition(None, CLEAR, NOW).state is None
    assert transition(None, None, NOW).state is None


@pytest.mark.parametrize("state", [AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.SNOOZED])
def test_cleared_resolves_with_a_back_on_track_notice(state: AlertStatus) -> None:
    result = transition(state, CLEAR, NOW)
    assert result.state is AlertStatus.RESOLVED and result.notice == "resolved"


@pytest.mark.parametrize("state", [AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.SNOOZED])
def test_the_grey_band_changes_nothing(state: AlertStatus) -> None:
    result = transition(state, GREY, NOW, snoozed_until=NOW - timedelta(days=1))
    assert result.state is state and result.notice is None


def test_acknowledged_stays_quiet_while_breached() -> None:
    result = transition(AlertStatus.ACKNOWLEDGED, BREACH, NOW)
    assert result.state is AlertStatus.ACKNOWLEDGED and not result.changed


def test_snoozed_is_quiet_until_its_time_then_reopens() -> None:
    until = NOW + timedelta(hours=20)
    quiet = transition(AlertStatus.SNOOZED, BREACH, NOW, snoozed_until=until)
    assert quiet.state is AlertStatus.SNOOZED and not quiet.changed
    later = transition(AlertStatus.SNOOZED, BREACH, until, snoozed_until=until)
    assert later.state is AlertStatus.OPEN and later.notice == "opened"


def test_resolved_reopens_on_a_new_breach_but_not_in_the_grey_band() -> None:
    assert transition(AlertStatus.RESOLVED, GREY, NOW).state is AlertStatus.RESOLVED
    assert transition(AlertStatus.RESOLVED, CLEAR, NOW).notice is None
    reopened = transition(AlertStatus.RESOLVED, BREACH, NOW)
    assert reopened.state is AlertStatus.OPEN and reopened.notice == "opened"


def test_a_rule_that_cannot_tell_keeps_the_state() -> None:
    result = transition(AlertStatus.OPEN, None, NOW)
    assert result.state is AlertStatus.OPEN and not result.changed


# --- escalation ---------------------------------------------------------------------------------


def test_escalation_chain_goes_above_the_highest_recipient() -> None:
    assert escalation_chain(["owners", "manager"]) == ("bod",)
    assert escalation_chain(["owners"]) == ("manager", "bod")
    assert escalation_chain(["manager", "bod"]) == ()


def _due(**overrides: object) -> str | None:
    params: dict[str, object] = {
        "severity": "critical",
        "state": AlertStatus.OPEN,
        "recipients": ["owners"],
        "escalate_after_minutes": 120,
        "level": 0,
        "since": NOW,
        "now": NOW + timedelta(minutes=120),
    }
    params.update(overrides)
    return escalation_due(**params)  # type: ignore[arg-type]


def test_critical_open_alert_escalates_after_the_delay_one_level_at_a_time() -> None:
    assert _due() == "manager"
    assert _due(level=1) == "bod"
    assert _due(level=2) is None  # nothing above the board
    assert _due(now=NOW + timedelta(minutes=119)) is None


@pytest.mark.parametrize(
    "overrides",
    [
        {"severity": "warning"},
        {"state": AlertStatus.ACKNOWLEDGED},
        {"state": AlertStatus.SNOOZED},
        {"state": AlertStatus.RESOLVED},
        {"escalate_after_minutes": None},
        {"recipients": ["manager", "bod"]},
    ],
)
def test_no_escalation_when_not_critical_open_or_configured(overrides: dict[str, object]) -> None:
    assert _due(**overrides) is None
