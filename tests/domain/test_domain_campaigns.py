"""Campaign maths and the campaign form's readers: what counts, progress against target and
time, cost against budget, ROAS and cost per order; dates, targets and amounts as typed."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from test_domain_plan_file import CONTEXT, HEADER_VI, parse, xlsx

from bot.domain.campaign_input import CampaignInputError, read_amount, read_dates, read_targets
from bot.domain.campaigns import CampaignInfo, StoreValue, campaign_totals, progress, spend
from bot.domain.plan_file import parse_plan_file
from bot.domain.plan_rows import ParsedPlanFile
from bot.org.fields import Unit

TODAY = date(2026, 11, 21)
CAMPAIGN = CampaignInfo(
    id=1,
    code="HS1212",
    name="12.12 Hoa Sen",
    start=date(2026, 12, 1),
    end=date(2026, 12, 12),
    store_codes=("HS-SHOPEE", "HS-TIKTOK"),
    budget=80_000_000,
    targets={"gmv": 2_000_000_000, "orders": 5000},
)


def random_values(seed: int) -> list[StoreValue]:
    rng = random.Random(seed)
    stores = ["HS-SHOPEE", "HS-TIKTOK", "TTSG-SHOPEE"]
    first = date(2026, 11, 25)
    return [
        StoreValue(store, first + timedelta(days=d), metric, float(rng.randint(0, 10**7)))
        for store in stores
        for d in range(25)
        for metric in ("gmv", "orders", "ads_cost")
        if rng.random() < 0.8
    ]


@pytest.mark.parametrize("seed", range(5))
def test_totals_equal_an_independent_sum(seed: int) -> None:
    values = random_values(seed)
    totals = campaign_totals(CAMPAIGN, values)
    for metric in ("gmv", "orders", "ads_cost"):
        expected = 0.0
        for v in values:
            inside = v.store in ("HS-SHOPEE", "HS-TIKTOK") and date(2026, 12, 1) <= v.day
            if inside and v.day <= date(2026, 12, 12) and v.metric == metric:
                expected += v.value
        assert totals.totals.get(metric, 0.0) == pytest.approx(expected)
        per_store = sum(s.get(metric, 0.0) for s in totals.by_store.values())
        per_day = sum(d.get(metric, 0.0) for d in totals.by_day.values())
        assert per_store == pytest.approx(expected) and per_day == pytest.approx(expected)


@pytest.mark.parametrize("seed", range(3))
def test_totals_from_sql_sums_match_the_row_by_row_sum(seed: int) -> None:
    """The service sums per store and per day in SQL; the same numbers either way."""
    from bot.domain.campaigns import totals_of_sums

    rows = [
        v for v in random_values(seed)
        if v.store in CAMPAIGN.store_codes and CAMPAIGN.covers(v.day)
    ]  # fmt: skip
    by_store: dict[str, dict[str, float]] = {}
    by_day: dict[date, dict[str, float]] = {}
    for v in rows:
        by_store.setdefault(v.store, {}).setdefault(v.metric, 0.0)
        by_store[v.store][v.metric] += v.value
        by_day.setdefault(v.day, {}).setdefault(v.metric, 0.0)
        by_day[v.day][v.metric] += v.value
    summed = totals_of_sums(by_store, by_day, {"videos": 2.0})
    direct = campaign_totals(CAMPAIGN, random_values(seed), {"videos": 2.0})
    assert summed.totals == pytest.approx(direct.totals)
    assert summed.by_day == direct.by_day and summed.tagged == direct.tagged


def test_values_outside_the_dates_or_stores_do_not_count() -> None:
    values = [
        StoreValue("HS-SHOPEE", date(2026, 11, 30), "gmv", 1.0),  # the day before
        StoreValue("HS-SHOPEE", date(2026, 12, 13), "gmv", 2.0),  # the day after
        StoreValue("TTSG-SHOPEE", date(2026, 12, 5), "gmv", 4.0),  # another store
        StoreValue("HS-SHOPEE", date(2026, 12, 1), "gmv", 8.0),  # first day: counts
        StoreValue("HS-TIKTOK", date(2026, 12, 12), "gmv", 16.0),  # last day: counts
    ]
    assert campaign_totals(CAMPAIGN, values).totals == {"gmv": 24.0}
    # A viewer's part: only their stores.
    assert campaign_totals(CAMPAIGN, values, stores=["HS-TIKTOK"]).totals == {"gmv": 16.0}
    assert campaign_totals(CAMPAIGN, values, stores=["TTSG-SHOPEE"]).totals == {}


def test_tagged_outputs_count_once() -> None:
    values = [StoreValue("HS-SHOPEE", date(2026, 12, 2), "gmv", 10.0)]
    totals = campaign_totals(CAMPAIGN, values, {"videos": 3.0, "gmv": 5.0})
    assert totals.totals == {"gmv": 15.0, "videos": 3.0}
    assert totals.tagged == {"videos": 3.0, "gmv": 5.0}
    assert "videos" not in totals.by_store.get("HS-SHOPEE", {})


def test_progress_against_target_and_time() -> None:
    day_six = date(2026, 12, 6)  # 6 of 12 days: half the time
    shown = progress(CAMPAIGN, {"gmv": 800_000_000}, "gmv", day_six)
    assert shown.share == pytest.approx(0.4)
    assert shown.time_share == pytest.approx(0.5)
    assert shown.pace == pytest.approx(0.8)
    before = progress(CAMPAIGN, {}, "gmv", TODAY)
    assert before.actual == 0 and before.time_share == 0 and before.pace is None
    assert progress(CAMPAIGN, {}, "traffic", day_six).share is None  # no target


def test_spend_budget_roas_and_cost_per_order() -> None:
    day_six = date(2026, 12, 6)
    result = spend(CAMPAIGN, {"gmv": 600e6, "orders": 1500, "ads_cost": 60e6}, day_six)
    assert result.share == pytest.approx(0.75)
    assert result.pace == pytest.approx(1.5)  # burning the budget above pace
    assert result.roas == pytest.approx(10.0)
    assert result.cost_per_order == pytest.approx(40_000)
    empty = spend(CAMPAIGN, {}, day_six)
    assert (empty.cost, empty.roas, empty.cost_per_order) == (None, None, None)


def test_days_elapsed_and_left() -> None:
    assert CAMPAIGN.days == 12
    assert (CAMPAIGN.days_elapsed(TODAY), CAMPAIGN.days_left(TODAY)) == (0, 12)
    assert (CAMPAIGN.days_elapsed(date(2026, 12, 5)), CAMPAIGN.days_left(date(2026, 12, 5))) == (
        5,
        7,
    )
    assert (CAMPAIGN.days_elapsed(date(2026, 12, 20)), CAMPAIGN.days_left(date(2026, 12, 20))) == (
        12,
        0,
    )
    assert [CAMPAIGN.status(d) for d in (TODAY, date(2026, 12, 12), date(2026, 12, 13))] == [
        "coming",
        "running",
        "ended",
    ]


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("12/12", date(2026, 12, 12), date(2026, 12, 12)),
        ("12/12/2026", date(2026, 12, 12), date(2026, 12, 12)),
        ("1/12-12/12", date(2026, 12, 1), date(2026, 12, 12)),
        ("1/12 - 12/12/2026", date(2026, 12, 1), date(2026, 12, 12)),
        ("1/12 đến 12/12", date(2026, 12, 1), date(2026, 12, 12)),
        ("20/12-5/1", date(2026, 12, 20), date(2027, 1, 5)),
        ("2026-12-01..2026-12-12", date(2026, 12, 1), date(2026, 12, 12)),
    ],
)
def test_dates_as_typed(text: str, first: date, last: date) -> None:
    assert read_dates(text, TODAY) == (first, last)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("32/12", "bad_dates"),
        ("hôm qua", "ended"),
        ("12/12-1/12/2026", "backwards"),
        ("1/12/2026-1/12/2027", "too_long"),
        ("14h", "bad_dates"),
    ],
)
def test_bad_dates(text: str, key: str) -> None:
    with pytest.raises(CampaignInputError) as error:
        read_dates(text, TODAY)
    assert error.value.message_key == key


METRICS: dict[str, tuple[str, Unit]] = {
    "gmv": ("gmv", "money"),
    "orders": ("orders", "count"),
    "don": ("orders", "count"),
}


def metric_of(name: str) -> tuple[str, Unit] | None:
    return METRICS.get(name.lower())


def test_targets_as_typed() -> None:
    assert read_targets("gmv 2 tỷ, orders 5000", metric_of) == {"gmv": 2e9, "orders": 5000}
    assert read_targets("gmv: 1,2 tỷ; don 5.000", metric_of) == {"gmv": 1.2e9, "orders": 5000}
    for text, key in (("gmv 2 tỷ, foo 3", "unknown_metric"), ("gmv abc", "bad_targets"),
                      ("gmv 0", "bad_number"), ("", "bad_targets")):  # fmt: skip
        with pytest.raises(CampaignInputError) as error:
            read_targets(text, metric_of)
        assert error.value.message_key == key


def test_amounts() -> None:
    assert read_amount("50tr", "money") == 50e6
    assert read_amount("1,2 tỷ", "money") == 1.2e9
    with pytest.raises(CampaignInputError):
        read_amount("năm chục", "money")


# --- the plan file's campaigns sheet ---------------------------------------------------------

CAMPAIGN_HEADER = ["Mã", "Tên chiến dịch", "Bắt đầu", "Kết thúc", "Gian hàng", "Ngân sách", "gmv"]


def plan_with_campaigns(rows: list[list[Any]], with_plan: bool = True) -> ParsedPlanFile:
    sheets: dict[str, list[list[Any]]] = {}
    if with_plan:
        sheets["Kế hoạch"] = [HEADER_VI, ["HS-SHOPEE", "gmv", "2026-12", "300tr"]]
    sheets["Chiến dịch"] = [CAMPAIGN_HEADER, *rows]
    return parse_plan_file("plan.xlsx", xlsx(sheets), CONTEXT)


def test_plan_file_campaigns_sheet() -> None:
    parsed = plan_with_campaigns(
        [
            [
                "HS1212",
                "12.12 Hoa Sen",
                datetime(2026, 12, 1),
                "12/12/2026",
                "HS-SHOPEE, hs-tiktok",
                "80tr",
                "2 tỷ",
            ],
        ]
    )
    assert parsed.ok, parsed.problems
    assert len(parsed.rows) == 1
    (row,) = parsed.campaigns
    assert (row.code, row.start, row.end) == ("HS1212", date(2026, 12, 1), date(2026, 12, 12))
    assert row.stores == ("HS-SHOPEE", "HS-TIKTOK") and row.budget == 80e6
    assert dict(row.targets) == {"gmv": 2e9}
    only_campaigns = plan_with_campaigns(
        [["BF", "Black Friday", "2026-11-27", "2026-11-30", "HS-SHOPEE", "", ""]], with_plan=False
    )
    assert only_campaigns.ok and only_campaigns.rows == () and len(only_campaigns.campaigns) == 1


def test_plan_file_campaign_problems_name_their_cell() -> None:
    parsed = plan_with_campaigns(
        [
            ["bad code", "", "31/02/2026", "2026-12-12", "XX-SHOP", "năm chục", ""],
            ["OK", "Ok", "2026-12-12", "2026-12-01", "HS-SHOPEE", "", ""],
        ]
    )
    found = {(p.code, p.row, p.column) for p in parsed.problems}
    assert ("campaign_bad_code", 2, "A") in found
    assert ("campaign_no_name", 2, "B") in found
    assert ("campaign_bad_date", 2, "C") in found
    assert ("unknown_store", 2, "E") in found
    assert ("not_a_number", 2, "F") in found
    assert ("campaign_backwards", 3, "D") in found
    assert parsed.campaigns == ()


def test_a_plan_file_without_the_sheet_reads_as_before() -> None:
    parsed = parse(
        [["Cửa hàng", "Chỉ số", "Tháng", "Mục tiêu"], ["HS-SHOPEE", "gmv", "2026-12", 1]]
    )
    assert parsed.ok and parsed.campaigns == ()


def test_pace_check_on_target_and_budget() -> None:
    from bot.domain.campaigns import pace_check

    day_six = date(2026, 12, 6)  # half the time gone
    behind = pace_check(CAMPAIGN, {"gmv": 700e6}, "gmv", 80, day_six)  # 35% of target: 70%
    assert behind is not None and behind.kind == "target" and behind.finding.breached
    assert behind.finding.numbers["percent"] == pytest.approx(70)
    assert behind.finding.numbers["share"] == pytest.approx(0.35)
    assert behind.finding.numbers["time_share"] == pytest.approx(0.5)
    on_pace = pace_check(CAMPAIGN, {"gmv": 900e6}, "gmv", 80, day_six)  # 90% of pace
    assert on_pace is not None and not on_pace.finding.breached and on_pace.finding.cleared
    burning = pace_check(CAMPAIGN, {"ads_cost": 52e6}, "ads_cost", 120, day_six)  # 65%: 1.3
    assert burning is not None and burning.kind == "budget" and burning.finding.breached
    calm = pace_check(CAMPAIGN, {"ads_cost": 44e6}, "ads_cost", 120, day_six)  # 1.1
    assert calm is not None and calm.finding.cleared and not calm.finding.breached
    assert pace_check(CAMPAIGN, {"gmv": 0.0}, "gmv", 80, TODAY) is None  # not running yet
    assert pace_check(CAMPAIGN, {"gmv": 0.0}, "gmv", 80, date(2026, 12, 13)) is None  # over
    assert pace_check(CAMPAIGN, {"nmv": 1.0}, "nmv", 80, day_six) is None  # no target for it


def test_pace_check_holds_a_recovering_campaign_in_the_hysteresis_band() -> None:
    from bot.domain.campaigns import pace_check

    day_six = date(2026, 12, 6)
    # 81% of pace: no longer breached, not clearly back either (80% x 1.02 = 81.6%).
    wobbling = pace_check(CAMPAIGN, {"gmv": 810e6}, "gmv", 80, day_six)
    assert wobbling is not None and not wobbling.finding.breached
    assert not wobbling.finding.cleared
    # 119% of the budget's pace: under 120%, not yet under 117.6%.
    spending = pace_check(CAMPAIGN, {"ads_cost": 47.6e6}, "ads_cost", 120, day_six)
    assert spending is not None and not spending.finding.breached
    assert not spending.finding.cleared
