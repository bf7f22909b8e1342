"""``sources.formats``: an export mapped to a metric the org does not define is refused by the
org check, at its path, instead of dropping that number at every import."""

from __future__ import annotations

from org_helpers import SMALL_ORG, problems_of

from bot.org.loader import parse_org_text

DERIVED = """\
  - key: orders
    label: Orders
    unit: count
  - key: aov
    label: AOV
    unit: money
    formula: gmv / orders
"""

FORMATS = """\
sources:
  formats:
    metrics:
      tiktok: { gmv: gvm }
    declared:
      - name: pos_daily
        platform: pos
        kind: daily_totals
        columns: { date: Ngày, store: Mã cửa hàng }
        values: { gmv: Doanh thu, ordrs: Số hóa đơn, aov: Giá trị TB }
"""


def with_metrics(text: str) -> str:
    return text.replace("    unit: money\nforms:", "    unit: money\n" + DERIVED + "forms:")


def test_unknown_and_derived_import_metrics_are_reported_at_their_paths() -> None:
    problems = problems_of(with_metrics(SMALL_ORG) + FORMATS)
    found = {(p.path, p.message, p.hint) for p in problems}
    assert found == {
        ("sources.formats.metrics.tiktok.gmv", "unknown metric 'gvm'", "did you mean 'gmv'?"),
        (
            "sources.formats.declared[0].values.ordrs",
            "unknown metric 'ordrs'",
            "did you mean 'orders'?",
        ),
        (
            "sources.formats.declared[0].values.aov",
            "'aov' is derived (gmv / orders); imports write base metrics only",
            "import gmv, orders instead",
        ),
    }


def test_known_base_metrics_and_dropped_numbers_pass() -> None:
    text = with_metrics(SMALL_ORG) + FORMATS.replace("gvm", "null").replace(
        "ordrs: Số hóa đơn, aov: Giá trị TB", "orders: Số hóa đơn"
    )
    org, problems = parse_org_text(text)
    assert problems == [] and org is not None
    assert org.sources.formats.declared[0].values == {"gmv": "Doanh thu", "orders": "Số hóa đơn"}
