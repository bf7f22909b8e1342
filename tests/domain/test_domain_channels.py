"""Channels: which platform a text names, and ROAS / cost per order from sums."""

from __future__ import annotations

from support.people import demo_org

from bot.domain.channels import (
    PLATFORMS,
    economics,
    match_platform,
    org_platforms,
    platform_id,
    platform_of_id,
    role_metric,
)


def test_platform_words_match_without_case_accents_or_spaces() -> None:
    platforms = org_platforms(demo_org())
    assert platforms == ("shopee", "tiktok", "pos")
    for text, expected in (
        ("shopee", "shopee"),
        ("SHÓPEE", "shopee"),
        ("Tik Tok", "tiktok"),
        ("POS", "pos"),
        ("lazada", None),  # a platform no store of the org sells on
        ("shop", None),
        ("", None),
    ):
        assert match_platform(platforms, text) == expected, text


def test_button_ids_round_trip() -> None:
    for platform in PLATFORMS:
        assert platform_of_id(platform_id(platform)) == platform
    assert platform_of_id(-1) is None and platform_of_id(len(PLATFORMS)) is None


def test_roles_and_economics() -> None:
    org = demo_org()
    assert role_metric(org, "ads_cost") == "ads_cost"
    assert role_metric(org, "orders") == "orders"
    econ = economics({"gmv": 600e6, "ads_cost": 100e6, "orders": 2000}, "gmv", "ads_cost", "orders")
    assert econ.roas == 6.0 and econ.cost_per_order == 50_000
    none = economics({"gmv": 600e6, "ads_cost": 0.0}, "gmv", "ads_cost", None)
    assert none.roas is None and none.cost_per_order is None
