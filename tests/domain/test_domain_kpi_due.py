"""The KPI engine counts a day against a store only once its report is due (or is in)."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import pytest

from bot.domain.kpi import KpiQuestion, MetricCatalog, SubjectFacts, evaluate
from bot.domain.periods import month_period
from bot.domain.punctuality import DueRule
from bot.org.loader import load_org

DEMO_ORG = Path(__file__).resolve().parents[2] / "examples" / "demo-org.yaml"

CATALOG = MetricCatalog(base=("gmv",), derived=(), derive=lambda values: {})
NOV = month_period(2026, 11)
AS_OF = date(2026, 11, 20)  # the day the numbers run to at 05:00 and at 11:00 on the 21st


def store(reported: set[int]) -> SubjectFacts:
    days = frozenset(date(2026, 11, d) for d in reported)
    totals = {"gmv": 10e6 * len(days)}
    return SubjectFacts("store:1", "S", totals, {}, totals, days)


EVERY_DAY_BUT_7_13 = set(range(1, 21)) - {7, 13}


@pytest.mark.parametrize(
    ("reported", "due_through", "counted", "coverage"),
    [
        # 05:00 on the 21st, the 20th not reported yet: 19 days measured, 17 reported.
        (EVERY_DAY_BUT_7_13 - {20}, date(2026, 11, 19), 19, 17 / 19),
        # 11:00: the 20th is due and missing.
        (EVERY_DAY_BUT_7_13 - {20}, date(2026, 11, 20), 20, 17 / 20),
        # 05:00 with the 20th already sent: it counts, it cannot be missing any more.
        (EVERY_DAY_BUT_7_13, date(2026, 11, 19), 20, 18 / 20),
        # No due date given: every elapsed day is due (the engine on its own).
        (EVERY_DAY_BUT_7_13 - {20}, None, 20, 17 / 20),
    ],
    ids=["05:00", "11:00", "05:00-sent-early", "all-due"],
)
def test_days_measured_are_the_due_ones_and_those_in_early(
    reported: set[int], due_through: date | None, counted: int, coverage: float
) -> None:
    question = KpiQuestion(NOV, AS_OF, CATALOG, due_through)
    report = evaluate([store(reported)], question)
    subject = report.subjects[0]
    assert subject.elapsed == counted
    assert subject.reported == len(reported)
    assert report.coverage == pytest.approx(coverage)
    # The totals still include everything reported, due or not.
    assert report.metrics["gmv"].actual == pytest.approx(10e6 * len(reported))


def test_due_days_follow_the_org_rule_at_05_00_and_11_00() -> None:
    org = load_org(DEMO_ORG)
    rule = DueRule.of(org)
    assert (rule.deadline, rule.covers) == (time(10, 30), "previous_day")
    early = datetime(2026, 11, 21, 5, 0, tzinfo=org.tz)
    late = datetime(2026, 11, 21, 11, 0, tzinfo=org.tz)
    assert KpiQuestion(NOV, AS_OF, CATALOG, rule.last_due(early)).due[-1] == date(2026, 11, 19)
    assert KpiQuestion(NOV, AS_OF, CATALOG, rule.last_due(late)).due[-1] == AS_OF
