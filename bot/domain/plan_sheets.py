"""The sheets of a plan file as rows of cell values: one unnamed sheet for a .csv file, every
worksheet of an .xlsx workbook. A file that cannot be read becomes one ``PlanProblem``."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from typing import Any

from bot.domain.plan_rows import PlanProblem

MAX_DATA_ROWS = 20_000
MAX_COLUMNS = 60

Rows = list[tuple[Any, ...]]


@dataclass
class RawSheet:
    name: str | None  # None for a CSV file (one unnamed sheet)
    rows: Rows
    truncated: bool = False


def csv_sheets(content: bytes) -> list[RawSheet] | PlanProblem:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return PlanProblem("not_utf8")  # "Unicode text" from Excel is UTF-16
    if b"\x00" in content[:4096] or content.startswith(b"PK\x03\x04"):
        return PlanProblem("not_csv")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return PlanProblem("not_utf8")
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    rows: Rows = []
    truncated = False
    try:
        for values in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if len(rows) > MAX_DATA_ROWS:
                truncated = True
                break
            rows.append(tuple(values[:MAX_COLUMNS]))
    except csv.Error as exc:
        return PlanProblem("bad_csv", {"reason": str(exc)})
    return [RawSheet(None, rows, truncated)]


def xlsx_sheets(content: bytes) -> list[RawSheet] | PlanProblem:
    from openpyxl import load_workbook  # heavy: imported only when a workbook is read

    if not zipfile.is_zipfile(io.BytesIO(content)):
        return PlanProblem("not_xlsx")
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a damaged package
        return PlanProblem("not_xlsx")
    try:
        sheets = []
        for worksheet in workbook.worksheets:
            rows: Rows = []
            truncated = False
            for values in worksheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
                if len(rows) > MAX_DATA_ROWS:
                    truncated = True
                    break
                rows.append(tuple(values))
            sheets.append(RawSheet(worksheet.title, rows, truncated))
    except Exception:  # a sheet whose XML is damaged
        return PlanProblem("not_xlsx")
    finally:
        workbook.close()
    return sheets
