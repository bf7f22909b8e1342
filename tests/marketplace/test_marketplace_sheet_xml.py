"""The fast row iterator gives what openpyxl's own read-only iterator gives."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook, load_workbook

from bot.marketplace.sheet_xml import FastSheet


def _workbook(path: Path) -> Path:
    workbook = Workbook()  # the normal writer: shared strings, styles, a <dimension>
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Mã đơn hàng", "Ngày", "Số", "Có", None, "Ghi chú"])
    sheet.append(["A1", datetime(2026, 11, 30, 23, 59, 59), 1250000, True, None, "x"])
    sheet.append([None, date(2026, 12, 1), 12.5, False, "=1+1", None])
    sheet.append([])
    sheet.append(["A2", "30/11/2026 10:00", -3, None, None, "Tổng giá trị đơn hàng"])
    sheet["H7"] = "far"
    workbook.save(path)
    return path


def _openpyxl_rows(path: Path) -> list[tuple[int, list[object]]]:
    workbook = load_workbook(path, read_only=True, data_only=True)
    rows = []
    for number, values in enumerate(workbook.worksheets[0].iter_rows(values_only=True), 1):
        trimmed = list(values)
        while trimmed and trimmed[-1] is None:
            trimmed.pop()
        if trimmed:
            rows.append((number, trimmed))
    workbook.close()
    return rows


def _fast_rows(path: Path, wanted: frozenset[int] | None = None) -> list[tuple[int, list[object]]]:
    workbook = load_workbook(path, read_only=True, data_only=True)
    sheet = FastSheet(workbook.worksheets[0])
    sheet.wanted = wanted
    rows = []
    for number, values in sheet:
        trimmed = list(values)
        while trimmed and trimmed[-1] is None:
            trimmed.pop()
        if trimmed:
            rows.append((number, trimmed))
    workbook.close()
    return rows


def test_same_values_as_openpyxl(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "w.xlsx")
    expected = _openpyxl_rows(path)
    assert expected[0][1][0] == "Mã đơn hàng" and expected[-1][0] == 7
    assert _fast_rows(path) == expected


def test_only_wanted_columns_are_read(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "w.xlsx")
    assert _fast_rows(path, frozenset({0, 2})) == [
        (1, ["Mã đơn hàng", None, "Số"]),
        (2, ["A1", None, 1250000]),
        (3, [None, None, 12.5]),
        (5, ["A2", None, -3]),
    ]
