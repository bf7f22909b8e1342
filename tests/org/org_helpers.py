"""Helpers for the org file tests (a module with its own name, so it never shadows a conftest)."""

from __future__ import annotations

from pathlib import Path

from bot.org.loader import OrgProblem, parse_org_text

DEMO_ORG = Path(__file__).resolve().parents[2] / "examples" / "demo-org.yaml"


def line_number(text: str, fragment: str) -> int:
    """1-based line of the only line containing ``fragment``."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if fragment in line]
    assert len(hits) == 1, f"{fragment!r} found on lines {hits}"
    return hits[0]


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


# One department, one brand, two stores, one metric: the smallest org a section is added to.
SMALL_ORG = """\
departments:
  - code: growth
    name: { vi: Tăng trưởng, en: Growth }
brands:
  - code: HS
    name: Hoa Sen
stores:
  - code: HS-SHOPEE
    name: Hoa Sen Shopee
    brand: HS
    platform: shopee
    department: growth
  - code: HS-TIKTOK
    name: Hoa Sen TikTok
    brand: HS
    platform: tiktok
    department: growth
metrics:
  - key: gmv
    label: GMV
    unit: money
forms:
  - department: growth
    per: store
    metrics: [gmv]
report:
  deadline: "10:30"
"""


def problems_of(text: str) -> list[OrgProblem]:
    org, problems = parse_org_text(text)
    assert org is None
    assert problems
    return problems
