"""OrgConfig used from code: lookups, derived metrics, working days, local validation rules."""

from __future__ import annotations

from datetime import date, time
from typing import Any

import pytest
from org_helpers import DEMO_ORG
from pydantic import ValidationError

from bot.domain.derived_metrics import compute_derived
from bot.domain.metric_lookup import is_required, metric_for_alias
from bot.domain.working_days import is_working_day
from bot.org.fields import MonthlyTime, WeeklyTime
from bot.org.loader import load_org
from bot.org.schema import OrgConfig
from bot.org.sections import BaseMetric, DerivedMetric, ReportSettings, Schedules


@pytest.fixture(scope="module")
def org() -> OrgConfig:
    return load_org(DEMO_ORG)


def test_lookups(org: OrgConfig) -> None:
    gmv = org.metric("gmv")
    assert isinstance(gmv, BaseMetric)
    assert gmv.unit == "money"
    assert isinstance(org.metric("roas"), DerivedMetric)
    assert org.metric("nope") is None
    store = org.store("HS-SHOPEE")
    assert store is not None and store.brand == "HS" and store.platform == "shopee"
    assert org.store("nope") is None
    growth = org.department("growth")
    assert growth is not None and growth.name.get("en") == "Growth"
    assert growth.name.get("vi") == "Tăng trưởng"
    assert org.department("nope") is None
    brand = org.brand("HS")
    assert brand is not None and brand.name == "Mỹ Phẩm Hoa Sen"
    assert {s.code for s in org.stores_of_brand("HS")} == {"HS-SHOPEE", "HS-TIKTOK"}
    assert len(org.stores_of_department("growth")) == len(org.stores)
    assert org.alert_rule("orders-drop") is not None
    assert org.order_type("banner") is not None
    assert org.tz.key == "Asia/Ho_Chi_Minh"


def test_metric_partitions(org: OrgConfig) -> None:
    assert {m.key for m in org.derived_metrics} == {"aov", "cr", "cancel_rate", "roas"}
    assert {m.key for m in org.base_metrics} >= {"gmv", "nmv", "orders", "koc_orders"}
    assert len(org.base_metrics) + len(org.derived_metrics) == len(org.metrics)


def test_forms(org: OrgConfig) -> None:
    growth = org.form_for_department("growth")
    assert growth is not None and growth.per == "store"
    assert growth.metric_keys == (
        "gmv",
        "nmv",
        "orders",
        "cancelled",
        "returned",
        "traffic",
        "ads_cost",
    )
    assert [str(c) for c in growth.cross_checks] == [
        "nmv <= gmv",
        "cancelled + returned <= orders",
        "orders <= traffic",
    ]
    live = org.form_for_department("livestream")
    assert live is not None and live.per == "person"
    assert is_required(org, live, "live_hours") is True
    assert is_required(org, live, "gmv") is False
    assert is_required(org, growth, "gmv") is True
    assert is_required(org, growth, "videos") is False
    assert org.form_for_department("nope") is None


def test_aliases(org: OrgConfig) -> None:
    for text, key in [
        ("doanh thu", "gmv"),
        ("Doanh  Số", "gmv"),
        ("đơn", "orders"),
        ("don", "orders"),
        ("chi phí ads", "ads_cost"),
        ("quảng cáo", "ads_cost"),
        ("phiên live", "live_sessions"),
        ("koc", "koc_orders"),
        ("nmv", "nmv"),
    ]:
        metric = metric_for_alias(org, text)
        assert metric is not None and metric.key == key, text
    assert metric_for_alias(org, "aov") is None
    assert metric_for_alias(org, "xyz") is None


def test_compute_derived(org: OrgConfig) -> None:
    values = {"gmv": 12_500_000, "orders": 50, "traffic": 2000, "cancelled": 2, "ads_cost": 0}
    derived = compute_derived(org.derived_order, values)
    assert derived["aov"] == pytest.approx(250_000)
    assert derived["cr"] == pytest.approx(2.5)
    assert derived["cancel_rate"] == pytest.approx(4)
    assert derived["roas"] is None


def test_derived_metrics_may_build_on_each_other() -> None:
    org = OrgConfig.model_validate(
        {
            "metrics": [
                {"key": "margin", "label": "M", "unit": "percent", "formula": "profit / gmv * 100"},
                {"key": "profit", "label": "P", "unit": "money", "formula": "gmv - cost"},
                {"key": "gmv", "label": "G", "unit": "money"},
                {"key": "cost", "label": "C", "unit": "money"},
            ]
        }
    )
    assert [m.key for m in org.derived_order] == ["profit", "margin"]
    assert compute_derived(org.derived_order, {"gmv": 200, "cost": 150}) == {
        "profit": 50,
        "margin": 25,
    }


def test_schedules_and_report_defaults(org: OrgConfig) -> None:
    assert org.report.deadline == time(10, 30)
    assert org.schedules.nudge == time(9, 45)
    assert org.schedules.weekly_digest == WeeklyTime(0, time(9, 0))
    assert org.schedules.monthly_digest == MonthlyTime(1, time(9, 0))
    dumped = org.model_dump(mode="json")
    assert dumped["schedules"]["weekly_digest"] == "mon 09:00"
    assert dumped["report"]["deadline"] == "10:30"
    assert not is_working_day(org.report, date(2026, 4, 30))
    assert is_working_day(org.report, date(2026, 5, 3))


def test_working_days_range() -> None:
    report = ReportSettings.model_validate({"working_days": "mon..fri"})
    assert report.working_days == ("mon", "tue", "wed", "thu", "fri")
    assert not is_working_day(report, date(2026, 5, 2))  # a Saturday
    with pytest.raises(ValidationError):
        ReportSettings.model_validate({"working_days": "fri..mon"})


@pytest.mark.parametrize(
    "schedules",
    [
        {"reminder": "10:30", "nudge": "10:45"},
        {"reminder": "10:30", "escalation": "10:00"},
        {"weekly_digest": "someday 09:00"},
        {"monthly_digest": "31 09:00"},
        {"reminder": "10h30"},
    ],
)
def test_bad_schedules(schedules: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Schedules.model_validate(schedules)


def _org_with(**sections: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "departments": [{"code": "design", "name": "Design"}],
        "metrics": [{"key": "gmv", "label": "GMV", "unit": "money"}],
    }
    return base | sections


@pytest.mark.parametrize(
    "rule",
    [
        {"id": "r", "type": "ratio_band", "metric": "gmv"},
        {"id": "r", "type": "ratio_band", "metric": "gmv", "low": 5, "high": 1},
        {"id": "r", "type": "pacing", "metric": "gmv"},
        {"id": "r", "type": "anomaly", "metric": "gmv", "drop": 140},
        {"id": "r", "type": "daily", "metric": "gmv", "threshold": 1, "low": 2},
        {"id": "r", "type": "daily", "metric": "nmv", "threshold": 1},
        {"id": "r", "type": "pacing", "metric": "gmv", "threshold": 90, "recipients": ["ceo"]},
    ],
)
def test_bad_alert_rules(rule: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        OrgConfig.model_validate(_org_with(alert_rules=[rule]))


def test_missing_data_rule_without_metric() -> None:
    rule = {"id": "r", "type": "missing_data", "days": 2, "recipients": "manager"}
    org = OrgConfig.model_validate(_org_with(alert_rules=[rule]))
    assert org.alert_rules[0].recipients == ("manager",)


@pytest.mark.parametrize(
    "field",
    [
        {"key": "size", "label": "Size", "type": "choice"},
        {"key": "size", "label": "Size", "type": "text", "choices": ["a"]},
        {"key": "size", "label": "Size", "type": "text", "min": 1},
        {"key": "n", "label": "N", "type": "number", "min": 5, "max": 1},
        {"key": "n", "label": "N", "type": "spreadsheet"},
    ],
)
def test_bad_order_fields(field: dict[str, Any]) -> None:
    order_type = {"code": "banner", "name": "Banner", "department": "design", "fields": [field]}
    with pytest.raises(ValidationError):
        OrgConfig.model_validate(_org_with(order_types=[order_type]))


def test_references_are_checked_when_built_from_code() -> None:
    with pytest.raises(ValidationError, match="unknown brand 'HS'"):
        OrgConfig.model_validate(
            _org_with(
                stores=[
                    {
                        "code": "S",
                        "name": "S",
                        "brand": "HS",
                        "platform": "shopee",
                        "department": "design",
                    }
                ]
            )
        )


def test_alias_used_by_two_metrics() -> None:
    metrics = [
        {"key": "orders", "label": "O", "unit": "count", "aliases": ["đơn"]},
        {"key": "koc_orders", "label": "K", "unit": "count", "aliases": ["Đơn"]},
    ]
    with pytest.raises(ValidationError, match="already used by metric 'orders'"):
        OrgConfig.model_validate({"metrics": metrics})


def test_unknown_timezone_and_locale() -> None:
    with pytest.raises(ValidationError, match="unknown timezone"):
        OrgConfig.model_validate({"timezone": "Mars/Olympus"})
    with pytest.raises(ValidationError):
        OrgConfig.model_validate({"default_locale": "fr"})


def test_config_is_immutable(org: OrgConfig) -> None:
    with pytest.raises(ValidationError):
        org.timezone = "UTC"  # type: ignore[misc]


def test_copies_do_not_reuse_the_original_lookups(org: OrgConfig) -> None:
    assert org.store("HS-SHOPEE") is not None
    smaller = org.model_copy(update={"stores": org.stores[1:]})
    assert smaller.store("HS-SHOPEE") is None
    assert org.store("HS-SHOPEE") is not None
