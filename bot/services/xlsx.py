"""Formatted .xlsx tables: the plan template and the exports share one look.

Data is gathered first as plain ``Sheet`` tables (async, from the database); ``workbook_bytes``
then writes them with openpyxl, which is slow enough to be run off the event loop
(``asyncio.to_thread``). Header row bold on a dark fill, frozen, with an autofilter; numbers as
``#,##0``, percentages as ``0.0%``, dates as ``dd/mm/yyyy``; columns sized to their content.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from openpyxl.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

ColumnKind = Literal["text", "money", "count", "number", "percent", "date", "weight"]
NUMBER_FORMATS: dict[ColumnKind, str] = {
    "money": "#,##0",
    "count": "#,##0",
    "number": "#,##0.00",
    "percent": "0.0%",
    "date": "dd/mm/yyyy",
    "weight": "0.0#",
}
HEADER_FILL = "1F4E78"
MAX_WIDTH = 60
SHEET_TITLE_LIMIT = 31  # Excel's limit


@dataclass(frozen=True)
class Column:
    header: str
    kind: ColumnKind = "text"
    width: int | None = None  # None: from the content


@dataclass
class Sheet:
    """One worksheet as plain data. ``table=False`` writes lines of text (instructions)."""

    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    table: bool = True


def plain_text(value: str | None) -> str | None:
    """Names and file names from people: never read by Excel as a formula."""
    if value and value[0] in "=+-@":
        return " " + value
    return value


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    """The .xlsx file of these sheets, in order (blocking: call it in a thread)."""
    from openpyxl import Workbook

    workbook = Workbook()
    for default in list(workbook.worksheets):
        workbook.remove(default)
    for sheet in sheets:
        write_sheet(workbook, sheet)
    if not workbook.worksheets:
        workbook.create_sheet("Sheet")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_sheet(workbook: Workbook, sheet: Sheet) -> Worksheet:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    worksheet = workbook.create_sheet(_safe_title(workbook, sheet.title))
    if not sheet.table:
        for line in sheet.rows:
            worksheet.append(list(line))
        worksheet.column_dimensions["A"].width = sheet.columns[0].width or 100
        worksheet["A1"].font = Font(bold=True, size=13)
        return worksheet
    worksheet.append([column.header for column in sheet.columns])
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor=HEADER_FILL)
    for cell in worksheet[1]:
        cell.font = header_font
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for values in sheet.rows:
        worksheet.append(list(values))
    for index, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(index)
        number_format = NUMBER_FORMATS.get(column.kind)
        if number_format is not None:
            for (cell,) in worksheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
        worksheet.column_dimensions[letter].width = column.width or _width(
            column, sheet.rows, index - 1
        )
    worksheet.freeze_panes = "A2"
    if sheet.columns:
        last = get_column_letter(len(sheet.columns))
        worksheet.auto_filter.ref = f"A1:{last}{max(len(sheet.rows) + 1, 2)}"
    return worksheet


def _width(column: Column, rows: Sequence[Sequence[Any]], index: int) -> int:
    longest = len(column.header)
    for row in rows[:500]:  # enough to size a column; huge sheets need not be scanned
        if index < len(row) and row[index] is not None:
            longest = max(longest, len(_shown(row[index], column.kind)))
    return min(max(longest + 2, 8), MAX_WIDTH)


def _shown(value: Any, kind: ColumnKind) -> str:
    if isinstance(value, date):
        return "00/00/0000"
    if isinstance(value, (int, float)) and kind in ("money", "count"):
        return f"{value:,.0f}"
    if isinstance(value, float) and kind == "percent":
        return f"{value * 100:.1f}%"
    return str(value)


def _safe_title(workbook: Workbook, title: str) -> str:
    """Excel titles: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    cleaned = "".join("-" if c in "[]:*?/\\" else c for c in title)[:SHEET_TITLE_LIMIT] or "Sheet"
    taken = set(workbook.sheetnames)
    candidate, number = cleaned, 2
    while candidate in taken:
        suffix = f" ({number})"
        candidate = cleaned[: SHEET_TITLE_LIMIT - len(suffix)] + suffix
        number += 1
    return candidate
