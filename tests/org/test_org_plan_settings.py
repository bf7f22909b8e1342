"""The org file's `plans` section: plan metrics, campaign days and paydays, checked by line."""

from __future__ import annotations

from org_helpers import DEMO_ORG, edit, line_number

from bot.domain.months import YearMonth
from bot.domain.plan_weights import org_day_weights
from bot.org.loader import load_org, parse_org_text
from bot.org.sections import PlanSettings

DEMO_TEXT = DEMO_ORG.read_text(encoding="utf-8")


def problems_of(text: str) -> list[tuple[int | None, str, str]]:
    org, problems = parse_org_text(text)
    assert org is None
    return [(p.line, p.path, p.message) for p in problems]


def test_demo_org_declares_double_days_and_payday() -> None:
    org = load_org(DEMO_ORG)
    assert org.plans.metrics == ("gmv", "nmv", "orders", "traffic", "ads_cost")
    assert org_day_weights(org.plans, YearMonth(2026, 11)) == {"11": 3.0, "25": 1.5}
    assert org_day_weights(org.plans, YearMonth(2026, 12)) == {"12": 2.5, "25": 1.5}
    assert org_day_weights(org.plans, YearMonth(2026, 10)) == {"25": 1.5}


def test_section_is_optional() -> None:
    text = DEMO_TEXT[: DEMO_TEXT.index("\nplans:")]
    org, problems = parse_org_text(text)
    assert problems == [] and org is not None
    assert org.plans == PlanSettings()
    assert org_day_weights(org.plans, YearMonth(2026, 11)) == {}


def test_derived_or_unknown_plan_metric_is_reported_on_its_line() -> None:
    text = edit(
        DEMO_TEXT, "metrics: [gmv, nmv, orders, traffic, ads_cost]", "metrics: [gmv, aov, gmw]"
    )
    problems = problems_of(text)
    line = line_number(text, "metrics: [gmv, aov, gmw]")
    assert (line, "plans.metrics[1]") in [(p[0], p[1]) for p in problems]
    assert any("'aov' is derived" in p[2] for p in problems)
    assert any(p[1] == "plans.metrics[2]" and "unknown metric 'gmw'" in p[2] for p in problems)


def test_impossible_date_zero_weight_and_day_32() -> None:
    text = edit(
        DEMO_TEXT, '{ date: "12-12", weight: 2.5, name: "12.12" }', '{ date: "02-30", weight: 0 }'
    )
    text = edit(text, "{ day: 25, weight: 1.5 }", "{ day: 32, weight: 1.5 }")
    problems = problems_of(text)
    paths = {p[1] for p in problems}
    assert {
        "plans.campaign_days[1].date",
        "plans.campaign_days[1].weight",
        "plans.paydays[0].day",
    } <= paths
    assert all(p[0] is not None for p in problems)


def test_duplicate_campaign_day_is_reported() -> None:
    text = edit(
        DEMO_TEXT, '{ date: "12-12", weight: 2.5, name: "12.12" }', '{ date: "11-11", weight: 2 }'
    )
    problems = problems_of(text)
    assert any(p[1] == "plans.campaign_days[1].date" and "duplicate" in p[2] for p in problems)


def test_dated_campaign_wins_over_yearly_and_payday_past_month_end_moves_to_last_day() -> None:
    settings = PlanSettings.model_validate(
        {
            "campaign_days": [
                {"date": "2027-02-02", "weight": 4},
                {"date": "02-02", "weight": 2},
                {"date": "02-28", "weight": 1.2},
            ],
            "paydays": [{"day": 31, "weight": 1.5}],
        }
    )
    # 2027-02 has 28 days: payday 31 falls on the 28th, where the campaign day replaces it
    assert org_day_weights(settings, YearMonth(2027, 2)) == {"2": 4.0, "28": 1.2}
    # 2028 is a leap year: payday on the 29th
    assert org_day_weights(settings, YearMonth(2028, 2)) == {"2": 2.0, "28": 1.2, "29": 1.5}
    assert org_day_weights(settings, YearMonth(2027, 4)) == {"30": 1.5}
