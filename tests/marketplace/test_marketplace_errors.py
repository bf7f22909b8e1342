"""Bad rows (counted, listed, the good rows still count) and bad files (ExportError)."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import pytest
from marketplace_helpers import NOW
from support.exports import SHOPEE_VN_HEADER, write_table

from bot.marketplace import BadRow, ExportError, parse_export
from bot.marketplace.model import ERROR_CODES
from bot.org.schema import OrgConfig

HEADER = ["Order ID", "Order Creation Date", "Order Status", "Return / Refund Status",
          "Total Amount", "Quantity", "Product Name"]  # fmt: skip


def _parse(path: Path, org: OrgConfig) -> object:
    return parse_export(path, path.name, org, NOW)


def test_bad_rows_are_listed_and_good_rows_count(org: OrgConfig, tmp_path: Path) -> None:
    rows = [
        HEADER,  # row 1
        ["G1", "2026-12-01 10:00", "Completed", "", "100,000", 1, "p"],  # 2 good
        ["", "2026-12-01 10:00", "Completed", "", 1, 1, "p"],  # 3 no order id
        ["B1", "soon", "Completed", "", 1, 1, "p"],  # 4 unreadable date
        ["B2", "2026-12-01 12:00", "Completed", "", "a lot", 1, "p"],  # 5 unreadable amount
        ["B3", "2026-13-01 12:00", "Completed", "", 1, 1, "p"],  # 6 no such month
        ["G1", "", "Completed", "", "", 2, "q"],  # 7 second line of G1: order columns blank
        ["B4", "2026-12-01 12:00", "Completed", "", "", 1, "p"],  # 8 first line without amount
        [],  # 9 blank: neither read nor bad
        ["G2", "2026-12-02 08:00", "Cancelled", "", 2_000, 1, "p"],  # 10 good
    ]
    path = write_table(tmp_path / "o.xlsx", rows)
    parsed = parse_export(path, "o.xlsx", org, NOW)
    assert parsed.bad_rows == (
        BadRow(3, "missing_order_id"),
        BadRow(4, "bad_date"),
        BadRow(5, "bad_amount"),
        BadRow(6, "bad_date"),
        BadRow(8, "bad_amount"),
    )
    assert parsed.rows_read == 8
    assert dict(parsed.days) == {
        date(2026, 12, 1): {"orders": 1, "cancelled": 0, "returned": 0, "gmv": 100_000,
                            "nmv": 100_000},
        date(2026, 12, 2): {"orders": 1, "cancelled": 1, "returned": 0, "gmv": 2_000, "nmv": 0},
    }  # fmt: skip


def test_a_bad_first_row_is_not_taken_for_a_description(org: OrgConfig, tmp_path: Path) -> None:
    rows = [
        HEADER,
        ["F1", "unknown", "Completed", "", 10, 1, "p"],
        ["F2", "unknown", "Completed", "", "ten", 1, "p"],
        ["F3", "2026-12-01 10:00", "Completed", "", 10, 1, "p"],
    ]
    parsed = parse_export(write_table(tmp_path / "o.csv", rows), "o.csv", org, NOW)
    assert parsed.bad_rows == (BadRow(2, "bad_date"), BadRow(3, "bad_date"))
    assert parsed.rows_read == 3


def test_a_date_against_the_files_order_is_a_bad_row(org: OrgConfig, tmp_path: Path) -> None:
    rows = [
        HEADER,
        ["M1", "11/30/2026 10:00", "Completed", "", 10, 1, "p"],
        ["M2", "12/29/2026 10:00", "Completed", "", 10, 1, "p"],
        ["M3", "30/11/2026 10:00", "Completed", "", 10, 1, "p"],  # day-first in a US file
        ["M4", "10/11/2026 10:00", "Completed", "", 10, 1, "p"],
    ]
    path = write_table(tmp_path / "o.csv", rows)
    parsed = parse_export(path, "o.csv", org, NOW)
    assert parsed.date_order == "month_first"
    assert parsed.bad_rows == (BadRow(4, "bad_date"),)
    assert [day for day, _ in parsed.days] == [date(2026, 10, 11), date(2026, 11, 30)]
    assert parsed.open_days == (date(2026, 12, 29),)


def _expect(code: str, path: Path, org: OrgConfig) -> ExportError:
    with pytest.raises(ExportError) as caught:
        parse_export(path, path.name, org, NOW)
    assert caught.value.code == code
    assert code in ERROR_CODES
    return caught.value


def test_not_a_spreadsheet(org: OrgConfig, tmp_path: Path) -> None:
    png = tmp_path / "photo.xlsx"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    assert _expect("not_spreadsheet", png, org).params == {"file": "photo.xlsx"}
    docx = tmp_path / "letter.xlsx"
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    _expect("not_spreadsheet", docx, org)
    binary = tmp_path / "data.csv"
    binary.write_bytes(b"a,b\x00\x01\x02,c\n" * 10)
    _expect("not_spreadsheet", binary, org)


def test_old_xls(org: OrgConfig, tmp_path: Path) -> None:
    path = tmp_path / "Order.all.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    assert _expect("old_xls", path, org).params == {"file": "Order.all.xls"}


@pytest.mark.parametrize("content", ["", "\n\n", "header only"])
def test_empty(content: str, org: OrgConfig, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    if content == "header only":
        write_table(path, [SHOPEE_VN_HEADER])
    else:
        path.write_text(content)
    assert _expect("empty", path, org).params == {"file": "empty.csv"}


def test_an_empty_workbook(org: OrgConfig, tmp_path: Path) -> None:
    _expect("empty", write_table(tmp_path / "e.xlsx", []), org)


def test_missing_column(org: OrgConfig, tmp_path: Path) -> None:
    header = [h for h in SHOPEE_VN_HEADER if h != "Tổng giá trị đơn hàng (VND)"]
    path = write_table(tmp_path / "o.xlsx", [header, ["A"] * len(header)])
    error = _expect("missing_column", path, org)
    assert error.params["format"] == "shopee_vn"
    assert error.params["column"] == "Tổng giá trị đơn hàng (VND)"
    assert error.params["expected"] == (
        "Mã đơn hàng, Ngày đặt hàng, Trạng Thái Đơn Hàng, Trạng thái Trả hàng/Hoàn tiền, "
        "Tổng giá trị đơn hàng (VND)"
    )


def test_unknown_header(org_with, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_table(tmp_path / "x.csv", [["Tên", "Tuổi", "Lớp"], ["An", 7, "2A"]])
    org = org_with(
        {"declared": [{"name": "kiotviet", "platform": "pos", "kind": "orders",
                       "columns": {"order_id": "Mã hóa đơn", "created": "Thời gian",
                                   "amount": "Tổng tiền hàng"}}]}
    )  # fmt: skip
    error = _expect("unknown_header", path, org)
    assert error.params == {"formats": "shopee_vn, shopee_en, tiktok, kiotviet",
                            "found": "Tên, Tuổi, Lớp"}  # fmt: skip


def test_too_big_is_built_by_the_caller() -> None:
    error = ExportError.too_big(25 * 1024 * 1024, 20 * 1024 * 1024)
    assert (error.code, error.params) == ("too_big", {"size_mb": "25.0", "limit_mb": "20"})


def test_a_header_under_title_rows(org: OrgConfig, tmp_path: Path) -> None:
    rows = [
        ["Báo cáo đơn hàng"],
        ["Từ 01/12/2026 đến 02/12/2026"],
        [],
        HEADER,
        ["T1", "2026-12-01 10:00", "Completed", "", 10, 1, "p"],
    ]
    path = write_table(tmp_path / "o.xlsx", rows)
    parsed = parse_export(path, "o.xlsx", org, NOW)
    assert parsed.bad_rows == ()
    assert dict(parsed.days)[date(2026, 12, 1)]["orders"] == 1
