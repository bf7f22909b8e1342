"""Generic exports declared in the org file, and the strictness of that part of the schema."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from marketplace_helpers import NOW
from pydantic import ValidationError
from support.exports import write_table

from bot.marketplace import BadRow, parse_export
from bot.org.import_formats import ImportFormats

TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def _cp1258(text: str) -> bytes:
    """Vietnamese Windows text as old POS software writes it: letters with their vowel marks
    precomposed (â, ơ, ư...) and the tone marks as separate combining characters."""
    out = []
    for char in unicodedata.normalize("NFD", text):
        if out and unicodedata.combining(char) != 0 and char not in TONE_MARKS:
            out[-1] = unicodedata.normalize("NFC", out[-1] + char)
        else:
            out.append(char)
    return "".join(out).encode("cp1258")


KIOTVIET = {
    "name": "kiotviet",
    "platform": "pos",
    "kind": "orders",
    "columns": {
        "order_id": "Mã hóa đơn",
        "created": "Thời gian",
        "amount": "Khách cần trả",
        "status": "Trạng thái",
        "store": "Chi nhánh",
    },
    "cancelled_statuses": ["Đã hủy"],
    "returned_statuses": ["Đã trả hàng"],
}
POS_DAILY = {
    "name": "pos_daily",
    "platform": "pos",
    "kind": "daily_totals",
    "columns": {"date": "Ngày", "store": "Mã cửa hàng"},
    "values": {"gmv": "Doanh thu", "orders": "Số hóa đơn", "traffic": "Lượt khách"},
}


def test_declared_orders_in_a_cp1258_semicolon_csv(org_with, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = (
        "Mã hóa đơn;Thời gian;Chi nhánh;Trạng thái;Khách cần trả;Ghi chú\n"
        "HD001;01/12/2026 08:30;TTSG-Q1;Hoàn thành;1.200.000;\n"
        "HD001;01/12/2026 08:30;TTSG-Q1;Hoàn thành;1.200.000;dòng 2\n"
        "HD002;01/12/2026 21:10;TTSG-Q1;Đã hủy;300.000;\n"
        "HD003;02/12/2026 10:00;TTSG-Q1;Đã trả hàng;450.000;\n"
        "HD004;02/12/2026 11:00;TTSG-Q1;Hoàn thành;50.000,50;\n"
        "HD005;13/12/2026 11:00;TTSG-Q1;Hoàn thành;10;\n"
    )
    path = tmp_path / "kiotviet.csv"
    path.write_bytes(_cp1258(text))
    org = org_with({"declared": [KIOTVIET]})
    parsed = parse_export(path, "kiotviet.csv", org, NOW)
    assert (parsed.format, parsed.platform, parsed.store) == ("kiotviet", "pos", "TTSG-Q1")
    assert parsed.date_order == "day_first"
    assert parsed.bad_rows == ()
    assert parsed.open_days == (date(2026, 12, 13),)
    assert dict(parsed.days) == {
        date(2026, 12, 1): {"orders": 2, "cancelled": 1, "returned": 0, "gmv": 1_500_000,
                            "nmv": 1_200_000},
        date(2026, 12, 2): {"orders": 2, "cancelled": 0, "returned": 1, "gmv": 500_000.5,
                            "nmv": 50_000.5},
    }  # fmt: skip


def test_declared_daily_totals(org_with, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows: list[list[Any]] = [
        ["Mã cửa hàng", "Ngày", "Doanh thu", "Số hóa đơn", "Lượt khách"],  # 1
        ["TTSG-Q1", datetime(2026, 12, 1), 15_000_000, 120, 900],  # 2
        ["ttsg-q1", "2026-12-02", "12.500.000", 95, None],  # 3 blank: not supplied
        ["TTSG-Q2", "2026-12-03", 1, 1, 1],  # 4 another store
        ["TTSG-Q1", "2026-12-02", 1, 1, 1],  # 5 the same day again
        ["TTSG-Q1", "yesterday", 1, 1, 1],  # 6
        ["TTSG-Q1", "2026-12-03", "n/a", 1, 1],  # 7
        ["TTSG-Q1", "2026-12-05", 9, 9, 9],  # 8 today: not over
    ]
    path = write_table(tmp_path / "pos.xlsx", rows)
    org = org_with({"declared": [KIOTVIET, POS_DAILY]})
    parsed = parse_export(path, "pos.xlsx", org, NOW)
    assert (parsed.format, parsed.store) == ("pos_daily", "TTSG-Q1")
    assert parsed.days == (
        (date(2026, 12, 1), {"gmv": 15_000_000, "orders": 120, "traffic": 900}),
        (date(2026, 12, 2), {"gmv": 12_500_000, "orders": 95}),
    )
    assert parsed.open_days == (date(2026, 12, 5),)
    assert parsed.bad_rows == (
        BadRow(4, "other_store"),
        BadRow(5, "duplicate_day"),
        BadRow(6, "bad_date"),
        BadRow(7, "bad_amount"),
    )
    assert parsed.rows_read == 7


def test_a_declared_file_missing_a_value_column(org_with, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from bot.marketplace import ExportError

    rows = [["Ngày", "Doanh thu", "Số hóa đơn", "Mã cửa hàng"], ["2026-12-01", 1, 1, "X"]]
    path = write_table(tmp_path / "pos.csv", rows)
    with pytest.raises(ExportError) as caught:
        parse_export(path, "pos.csv", org_with({"declared": [POS_DAILY]}), NOW)
    assert caught.value.params["column"] == "Lượt khách"
    assert caught.value.params["expected"] == "Ngày, Doanh thu, Số hóa đơn, Lượt khách"


@pytest.mark.parametrize(
    ("formats", "message"),
    [
        ({"declared": [{**KIOTVIET, "colour": "red"}]}, "Extra inputs are not permitted"),
        ({"declared": [KIOTVIET, KIOTVIET]}, "must be unique"),
        ({"declared": [{**KIOTVIET, "name": "tiktok"}]}, "must be unique"),
        ({"declared": [{**KIOTVIET, "kind": "weekly"}]}, "Input should be 'orders' or"),
        ({"declared": [{**POS_DAILY, "values": {}}]}, "needs columns.date and values"),
        ({"declared": [{**POS_DAILY, "metrics": {"gmv": "x"}}]}, "takes no metrics"),
        ({"declared": [{**KIOTVIET, "values": {"gmv": "x"}}]}, "orders takes no"),
        ({"declared": [{**KIOTVIET, "columns": {"order_id": "x"}}]}, "columns.created, columns"),
        ({"aliases": {"lazada": {"amount": ["x"]}}}, "Extra inputs are not permitted"),
        ({"aliases": {"tiktok": {"price": ["x"]}}}, "Extra inputs are not permitted"),
        ({"metrics": {"tiktok": {"gmv": "sales", "nmv": "sales"}}}, "same metric: sales"),
        ({"metrics": {"tiktok": {"nmv": "gmv"}}}, "same metric: gmv"),
        ({"metrics": {"tiktok": {"gmv": "Sales"}}}, "should match pattern"),
        (
            {"declared": [{**KIOTVIET, "columns": {**KIOTVIET["columns"], "status": None}}]},  # type: ignore[dict-item]
            "no status column",
        ),
    ],
)
def test_the_schema_is_strict(formats: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ImportFormats.model_validate(formats)


def test_defaults() -> None:
    formats = ImportFormats()
    assert formats.declared == () and formats.cancelled_statuses == ()
    assert formats.metrics.tiktok.given() == {} and formats.aliases.shopee_vn.amount == ()
    mapped = ImportFormats.model_validate({"metrics": {"tiktok": {"returned": None}}})
    assert mapped.metrics.tiktok.given() == {"returned": None}
    declared = ImportFormats.model_validate({"declared": [KIOTVIET, POS_DAILY]})
    assert declared.declared_format("pos_daily") is not None
    assert declared.declared_format("nope") is None
