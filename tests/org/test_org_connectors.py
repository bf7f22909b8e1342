"""The org file's ``sources.connected``: stores whose numbers arrive from imports or the API."""

from __future__ import annotations

from datetime import time

from bot.org.connectors import Connected, connected_source, connected_stores
from bot.org.loader import OrgProblem, parse_org_text

BASE = """\
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

CONNECTED = """\
sources:
  connected:
    - stores: [HS-SHOPEE]
      source: import
      expected_by: "09:30"
    - stores: [HS-TIKTOK]
      source: api
"""


def problems_of(text: str) -> list[OrgProblem]:
    org, problems = parse_org_text(text)
    assert org is None
    assert problems
    return problems


def test_connected_stores_are_read_with_the_deadline_as_default() -> None:
    org, problems = parse_org_text(BASE + CONNECTED)
    assert problems == [] and org is not None
    shopee = connected_source(org, "HS-SHOPEE")
    assert shopee == Connected(stores=("HS-SHOPEE",), source="import", expected_by=time(9, 30))
    tiktok = connected_source(org, "HS-TIKTOK")
    assert tiktok is not None and tiktok.source == "api" and tiktok.expected_by is None
    assert connected_stores(org) == {
        "HS-SHOPEE": ("import", time(9, 30)),
        "HS-TIKTOK": ("api", time(10, 30)),  # the report deadline
    }
    plain, _ = parse_org_text(BASE)
    assert plain is not None and connected_source(plain, "HS-SHOPEE") is None


def test_unknown_store_code_is_reported_at_its_path_and_line() -> None:
    text = BASE + CONNECTED.replace("stores: [HS-TIKTOK]", "stores: [HS-TIKTOKK]")
    [problem] = problems_of(text)
    assert problem.path == "sources.connected[1].stores[0]"
    assert problem.message == "unknown store 'HS-TIKTOKK'"
    assert problem.hint == "did you mean 'HS-TIKTOK'?"
    assert problem.line == text.splitlines().index("    - stores: [HS-TIKTOKK]") + 1


def test_bad_source_is_refused_with_the_allowed_values() -> None:
    [problem] = problems_of(BASE + CONNECTED.replace("source: api", "source: ftp"))
    assert problem.path == "sources.connected[1].source"
    assert "import" in f"{problem.message} {problem.hint}" and "api" in problem.message


def test_a_store_listed_twice_and_a_bad_time_are_refused() -> None:
    twice = BASE + CONNECTED.replace("stores: [HS-TIKTOK]", "stores: [HS-TIKTOK, HS-SHOPEE]")
    [problem] = problems_of(twice)
    assert problem.path == "sources.connected[1].stores[1]"
    assert problem.message == "store 'HS-SHOPEE' is listed twice"
    [clock] = problems_of(BASE + CONNECTED.replace('"09:30"', '"9h30"'))
    assert clock.path == "sources.connected[0].expected_by"
    assert "HH:MM" in clock.message


def test_data_expected_after_the_reminder_is_refused() -> None:
    [problem] = problems_of(BASE + CONNECTED.replace('"09:30"', '"11:00"'))
    assert problem.path == "sources.connected[0].expected_by"
    assert problem.message == "expected_by 11:00 is after the reminder at 10:30"


def test_an_entry_needs_stores_and_a_source() -> None:
    found = problems_of(BASE + "sources:\n  connected:\n    - stores: []\n")
    paths = {p.path for p in found}
    assert "sources.connected[0].stores" in paths
    assert "sources.connected[0].source" in paths
