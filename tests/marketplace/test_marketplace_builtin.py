"""The built-in formats: per-day totals equal the ones computed independently here."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from marketplace_helpers import NOW
from support.exports import (
    Line,
    expected_totals,
    order_lines,
    write_shopee_en,
    write_shopee_vn,
    write_table,
    write_tiktok,
)

from bot.marketplace import parse_export
from bot.org.schema import OrgConfig

D30, D01, D02 = date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)

# Orders around midnight in Ho Chi Minh City, over several lines, cancelled and returned.
LINES = [
    Line("A1", datetime(2026, 11, 30, 23, 59, 59), 250_000, sku="S1", quantity=2),
    Line("A1", datetime(2026, 11, 30, 23, 59, 59), 250_000, sku="S2"),
    Line("A1", datetime(2026, 11, 30, 23, 59, 59), 250_000, sku="S3"),
    Line("B2", datetime(2026, 12, 1, 0, 0, 0), 90_000, status="cancelled"),
    Line("B2", datetime(2026, 12, 1, 0, 0, 0), 90_000, status="cancelled", sku="S2"),
    Line("C3", datetime(2026, 12, 1, 13, 45), 120_000, returned=True),
    Line("D4", datetime(2026, 12, 1, 20, 5), 300_000, status="shipping"),
    Line("D4", datetime(2026, 12, 1, 20, 5), 300_000, status="shipping", sku="S9"),
    Line("E5", datetime(2026, 12, 2, 9, 15), 75_500),
    Line("F6", datetime(2026, 12, 2, 22, 30), 60_000, status="cancelled", returned=True),
]
# Computed by hand from LINES.
HAND = {
    D30: {"orders": 1, "cancelled": 0, "returned": 0, "gmv": 250_000, "nmv": 250_000},
    D01: {"orders": 3, "cancelled": 1, "returned": 1, "gmv": 510_000, "nmv": 300_000},
    D02: {"orders": 2, "cancelled": 1, "returned": 0, "gmv": 135_500, "nmv": 75_500},
}

WRITERS = {
    "shopee_vn": (write_shopee_vn, "Order.all.xlsx"),
    "shopee_en": (write_shopee_en, "Order.all.en.xlsx"),
    "tiktok": (write_tiktok, "tiktok.xlsx"),
    "tiktok_csv": (write_tiktok, "tiktok.csv"),
}


def test_the_generator_agrees_with_the_hand_count() -> None:
    assert expected_totals(LINES) == HAND


@pytest.mark.parametrize("writer", list(WRITERS))
@pytest.mark.parametrize("dates", ["excel", "iso", "iso_utc", "day_first", "month_first"])
def test_every_format_and_date_layout(
    writer: str, dates: str, org: OrgConfig, tmp_path: Path
) -> None:
    write, name = WRITERS[writer]
    export = write(tmp_path / name, LINES, dates=dates)  # type: ignore[operator]
    parsed = parse_export(export.path, name, org, NOW)
    assert parsed.format == writer.removesuffix("_csv")
    assert parsed.platform == ("tiktok" if "tiktok" in writer else "shopee")
    assert dict(parsed.days) == HAND
    assert parsed.bad_rows == ()
    assert parsed.rows_read == len(LINES)
    assert parsed.open_days == ()
    text_dates = {"day_first": "day_first", "month_first": "month_first"}
    # The lines have days over 12: the order is decided from them.
    assert parsed.date_order == text_dates.get(dates)


def test_utc_times_are_put_on_the_business_day_of_the_org(org: OrgConfig, tmp_path: Path) -> None:
    # 2026-11-30T17:00:00Z is 00:00 on 1 December in Ho Chi Minh City.
    lines = [
        Line("U1", datetime(2026, 11, 30, 16, 59, tzinfo=UTC), 100_000),
        Line("U2", datetime(2026, 11, 30, 17, 0, tzinfo=UTC), 40_000),
    ]
    export = write_shopee_en(tmp_path / "o.xlsx", lines, dates="iso_utc")
    parsed = parse_export(export.path, "o.xlsx", org, NOW)
    assert [(day, values["gmv"]) for day, values in parsed.days] == [
        (D30, 100_000),
        (D01, 40_000),
    ]


def test_a_large_generated_month(org: OrgConfig, tmp_path: Path) -> None:
    lines = order_lines(400, date(2026, 11, 1), 30, seed=7)
    export = write_shopee_vn(tmp_path / "month.xlsx", lines, dates="excel")
    parsed = parse_export(export.path, "month.xlsx", org, NOW)
    assert dict(parsed.days) == export.expected
    assert sum(v["orders"] for _, v in parsed.days) == 400


def test_days_not_over_yet_are_left_out(org: OrgConfig, tmp_path: Path) -> None:
    export = write_shopee_vn(tmp_path / "o.xlsx", LINES)
    # 2026-12-01 23:30 UTC is 06:30 on 2 December in Ho Chi Minh City.
    parsed = parse_export(export.path, "o.xlsx", org, datetime(2026, 12, 1, 23, 30, tzinfo=UTC))
    assert [day for day, _ in parsed.days] == [D30, D01]
    assert parsed.open_days == (D02,)


@pytest.mark.parametrize("description", [True, False])
def test_tiktok_description_row_is_skipped(
    description: bool, org: OrgConfig, tmp_path: Path
) -> None:
    export = write_tiktok(tmp_path / "t.csv", LINES, description=description)
    raw = export.path.read_text(encoding="utf-8-sig").splitlines()
    assert ("Platform unique order ID." in raw[1]) is description
    parsed = parse_export(export.path, "t.csv", org, NOW)
    assert dict(parsed.days) == HAND
    assert parsed.bad_rows == ()
    assert parsed.rows_read == len(LINES)


@pytest.mark.parametrize("nfd", [False, True])
def test_nfc_and_nfd_headers(nfd: bool, org: OrgConfig, tmp_path: Path) -> None:
    export = write_shopee_vn(tmp_path / "o.xlsx", LINES, nfd=nfd)
    parsed = parse_export(export.path, "o.xlsx", org, NOW)
    assert parsed.format == "shopee_vn"
    assert dict(parsed.days) == HAND


def test_older_shopee_headers(org: OrgConfig, tmp_path: Path) -> None:
    export = write_shopee_vn(tmp_path / "o.xlsx", LINES, old=True)
    parsed = parse_export(export.path, "o.xlsx", org, NOW)
    assert dict(parsed.days) == HAND


def test_capitalisation_twins_bind_to_the_exact_header(org: OrgConfig, tmp_path: Path) -> None:
    # "Trạng thái đơn hàng" (every order "Đã hủy") and "Mã Đơn Hàng" (one id for all) sit
    # next to the real columns: reading either would change every number.
    export = write_shopee_vn(tmp_path / "o.xlsx", LINES, twins=True, nfd=True)
    parsed = parse_export(export.path, "o.xlsx", org, NOW)
    assert dict(parsed.days) == HAND


def test_headers_are_case_accent_and_space_insensitive(org: OrgConfig, tmp_path: Path) -> None:
    header = [
        "  ma don hang ",
        "NGÀY ĐẶT HÀNG",
        "trang thai don hang",
        "Trạng thái trả hàng/hoàn tiền",
        "tổng  giá trị đơn hàng (vnd)",
        "SKU sản phẩm",
    ]
    rows = [
        header,
        ["X1", "2026-12-01 10:00", "Hoàn thành", "", "100.000", "S"],
        ["X1", "2026-12-01 10:00", "Hoàn thành", "", "100.000", "T"],
        ["X2", "2026-12-01 11:00", "ĐÃ HUỶ", "", "1.250.000", "S"],
    ]
    path = write_table(tmp_path / "o.xlsx", rows)
    parsed = parse_export(path, "o.xlsx", org, NOW)
    assert parsed.format == "shopee_vn"
    assert dict(parsed.days) == {
        D01: {"orders": 2, "cancelled": 1, "returned": 0, "gmv": 1_350_000, "nmv": 100_000}
    }


def test_date_order_without_a_day_over_12(org: OrgConfig, tmp_path: Path) -> None:
    def file(stamp: str) -> Path:
        rows = [
            ["Order ID", "Order Creation Date", "Order Status", "Return / Refund Status",
             "Total Amount", "Quantity"],
            ["E1", stamp, "Completed", "", 1000, 1],
        ]  # fmt: skip
        return write_table(tmp_path / "o.xlsx", rows)

    vietnamese = parse_export(file("03/11/2026 14:05"), "o.xlsx", org, NOW)
    assert vietnamese.date_order == "day_first"
    assert [day for day, _ in vietnamese.days] == [date(2026, 11, 3)]
    american = parse_export(file("11/03/2026 2:05 PM"), "o.xlsx", org, NOW)
    assert american.date_order == "month_first"
    assert [day for day, _ in american.days] == [date(2026, 11, 3)]


def test_metric_mapping_and_org_metrics(org_with, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    export = write_tiktok(tmp_path / "t.xlsx", LINES)
    org = org_with({"metrics": {"tiktok": {"returned": None, "gmv": "ads_cost"}}})
    parsed = parse_export(export.path, "t.xlsx", org, NOW)
    first = dict(parsed.days)[D01]
    assert first == {"orders": 3, "cancelled": 1, "ads_cost": 510_000, "nmv": 300_000}


def test_numbers_the_org_does_not_define_are_left_out(org: OrgConfig, tmp_path: Path) -> None:
    metrics = tuple(m for m in org.metrics if m.key != "returned")
    smaller = org.model_copy(update={"metrics": metrics})
    export = write_shopee_vn(tmp_path / "o.xlsx", LINES)
    parsed = parse_export(export.path, "o.xlsx", smaller, NOW)
    assert set(dict(parsed.days)[D01]) == {"orders", "cancelled", "gmv", "nmv"}


def test_header_aliases_from_the_org_file(org_with, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    header = ["Order ID", "Order Creation Date", "Order Status", "Return / Refund Status",
              "Order Total (VND)", "Quantity"]  # fmt: skip
    rows = [header, ["E1", "2026-12-01 10:00", "Completed", "", 5000, 1]]
    path = write_table(tmp_path / "o.xlsx", rows)
    org = org_with({"aliases": {"shopee_en": {"amount": ["order total (vnd)"]}}})
    parsed = parse_export(path, "o.xlsx", org, NOW)
    assert dict(parsed.days)[D01]["gmv"] == 5000


def test_extra_cancelled_statuses_from_the_org_file(org_with, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lines = [Line("A", datetime(2026, 12, 1, 8), 10_000), Line("B", datetime(2026, 12, 1, 9), 5)]
    export = write_shopee_vn(tmp_path / "o.xlsx", lines)
    org = org_with({"cancelled_statuses": ["Hoàn thành"]})
    parsed = parse_export(export.path, "o.xlsx", org, NOW)
    assert dict(parsed.days)[D01]["cancelled"] == 2
