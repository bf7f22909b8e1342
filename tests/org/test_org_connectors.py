"""The org file's ``sources.connected``: stores whose numbers arrive from imports or the API."""

from __future__ import annotations

from datetime import time

from org_helpers import SMALL_ORG, problems_of

from bot.org.connectors import Connected, connected_source, connected_stores
from bot.org.loader import parse_org_text

CONNECTED = """\
sources:
  connected:
    - stores: [HS-SHOPEE]
      source: import
      expected_by: "09:30"
    - stores: [HS-TIKTOK]
      source: api
"""


def test_connected_stores_are_read_with_the_deadline_as_default() -> None:
    org, problems = parse_org_text(SMALL_ORG + CONNECTED)
    assert problems == [] and org is not None
    shopee = connected_source(org, "HS-SHOPEE")
    assert shopee == Connected(stores=("HS-SHOPEE",), source="import", expected_by=time(9, 30))
    tiktok = connected_source(org, "HS-TIKTOK")
    assert tiktok is not None and tiktok.source == "api" and tiktok.expected_by is None
    assert connected_stores(org) == {
        "HS-SHOPEE": ("import", time(9, 30)),
        "HS-TIKTOK": ("api", time(10, 30)),  # the report deadline
    }
    plain, _ = parse_org_text(SMALL_ORG)
    assert plain is not None and connected_source(plain, "HS-SHOPEE") is None


def test_unknown_store_code_is_reported_at_its_path_and_line() -> None:
    text = SMALL_ORG + CONNECTED.replace("stores: [HS-TIKTOK]", "stores: [HS-TIKTOKK]")
    [problem] = problems_of(text)
    assert problem.path == "sources.connected[1].stores[0]"
    assert problem.message == "unknown store 'HS-TIKTOKK'"
    assert problem.hint == "did you mean 'HS-TIKTOK'?"
    assert problem.line == text.splitlines().index("    - stores: [HS-TIKTOKK]") + 1


def test_bad_source_is_refused_with_the_allowed_values() -> None:
    [problem] = problems_of(SMALL_ORG + CONNECTED.replace("source: api", "source: ftp"))
    assert problem.path == "sources.connected[1].source"
    assert "import" in f"{problem.message} {problem.hint}" and "api" in problem.message


def test_a_store_listed_twice_and_a_bad_time_are_refused() -> None:
    twice = SMALL_ORG + CONNECTED.replace("stores: [HS-TIKTOK]", "stores: [HS-TIKTOK, HS-SHOPEE]")
    [problem] = problems_of(twice)
    assert problem.path == "sources.connected[1].stores[1]"
    assert problem.message == "store 'HS-SHOPEE' is listed twice"
    [clock] = problems_of(SMALL_ORG + CONNECTED.replace('"09:30"', '"9h30"'))
    assert clock.path == "sources.connected[0].expected_by"
    assert "HH:MM" in clock.message


def test_data_expected_after_the_reminder_is_refused() -> None:
    [problem] = problems_of(SMALL_ORG + CONNECTED.replace('"09:30"', '"11:00"'))
    assert problem.path == "sources.connected[0].expected_by"
    assert problem.message == "expected_by 11:00 is after the reminder at 10:30"


def test_an_entry_needs_stores_and_a_source() -> None:
    found = problems_of(SMALL_ORG + "sources:\n  connected:\n    - stores: []\n")
    paths = {p.path for p in found}
    assert "sources.connected[0].stores" in paths
    assert "sources.connected[0].source" in paths
