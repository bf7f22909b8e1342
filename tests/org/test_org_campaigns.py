"""The org file's `campaigns` section: dates, stores and brands, budget and targets as typed in
Vietnamese, owners; every unknown reference reported at its own path and line."""

from __future__ import annotations

from org_helpers import DEMO_ORG, edit, line_number

from bot.org.loader import load_org, parse_org_text

DEMO_TEXT = DEMO_ORG.read_text(encoding="utf-8")


def problems_of(text: str) -> list[tuple[int | None, str, str]]:
    org, problems = parse_org_text(text)
    assert org is None
    return [(p.line, p.path, p.message) for p in problems]


def test_demo_campaigns() -> None:
    org = load_org(DEMO_ORG)
    hs = org.campaign("HS1212")
    assert hs is not None
    assert hs.budget == 80_000_000
    assert dict(hs.targets) == {"gmv": 2_000_000_000, "orders": 5000}
    assert hs.store_codes(org) == ("HS-SHOPEE", "HS-TIKTOK")  # the brand's stores
    assert hs.owners == ("@lan_hs",)
    bf = org.campaign("BF-TTSG")
    assert bf is not None and bf.store_codes(org) == ("TTSG-SHOPEE",)


def test_section_is_optional() -> None:
    # Without the section and the alert rules scoped to its campaigns.
    start, end = DEMO_TEXT.index("\ncampaigns:"), DEMO_TEXT.index("\nalert_rules:")
    text = DEMO_TEXT[:start] + DEMO_TEXT[end:]
    text = (
        text[: text.index("  # Cảnh báo theo chiến dịch")] + text[text.index("\n# Loại yêu cầu") :]
    )
    org, problems = parse_org_text(text)
    assert problems == [] and org is not None and org.campaigns == ()


def test_unknown_store_brand_and_metric_are_reported_at_their_path() -> None:
    text = edit(DEMO_TEXT, "    brands: [HS]\n", "    brands: [HSS]\n")
    text = edit(text, "stores: [TTSG-SHOPEE]", "stores: [TTSG-SHOPE]")
    text = edit(text, "targets: { gmv: 600tr }", "targets: { gmw: 600tr }")
    problems = problems_of(text)
    found = {(p[1], p[2]) for p in problems}
    assert ("campaigns[0].brands[0]", "unknown brand 'HSS'") in found
    assert ("campaigns[1].stores[0]", "unknown store 'TTSG-SHOPE'") in found
    assert ("campaigns[1].targets.gmw", "unknown metric 'gmw'") in found
    lines = {p[1]: p[0] for p in problems}
    assert lines["campaigns[1].stores[0]"] == line_number(text, "stores: [TTSG-SHOPE]")


def test_dates_owner_cover_and_amounts_are_checked() -> None:
    backwards = edit(DEMO_TEXT, "    end: 2026-12-12\n", "    end: 2026-11-12\n")
    assert any("end 2026-11-12 is before start 2026-12-01" in p[2] for p in problems_of(backwards))
    text = edit(DEMO_TEXT, 'owners: ["@lan_hs"]', 'owners: ["lan hs"]')
    text = edit(text, "    budget: 30tr\n", "    budget: ba chục\n")
    problems = problems_of(text)
    messages = " | ".join(f"{p[1]}: {p[2]}" for p in problems)
    assert "owner 'lan hs' is neither a Telegram username" in messages
    assert "campaigns[1].budget" in messages and "50tr" in messages
    assert all(p[0] is not None for p in problems)

    no_cover = edit(DEMO_TEXT, "    stores: [TTSG-SHOPEE]\n", "")
    assert any("at least one store or brand" in p[2] for p in problems_of(no_cover))


def test_duplicate_code() -> None:
    text = edit(DEMO_TEXT, "  - code: BF-TTSG\n", "  - code: HS1212\n")
    assert any(
        p[1] == "campaigns[1].code" and "duplicate campaign code 'HS1212'" in p[2]
        for p in problems_of(text)
    )


def test_alert_rule_on_an_unknown_campaign() -> None:
    text = edit(
        DEMO_TEXT,
        "    campaign: HS1212\n    metric: gmv\n",
        "    campaign: HS1221\n    metric: gmv\n",
    )
    problems = problems_of(text)
    assert any(
        p[1] == "alert_rules[7].campaign" and "unknown campaign 'HS1221'" in p[2] for p in problems
    )
