"""What reading an export gives: ``ParsedExport``, ``BadRow`` and ``ExportError``.

Bad-row reason codes (``BadRow.reason``; the views render ``ingest.bad_row.<reason>``):

- ``missing_order_id``: the row has no order id.
- ``bad_date``: the creation time (or the day of a daily total) is missing or unreadable, or
  does not fit the file's day/month order (``30/11`` in a month-first file).
- ``bad_amount``: the order amount is missing on the order's first row, or a number
  (an amount, a daily total) cannot be read.
- ``other_store``: a daily-totals row names another store than the file's first row.
- ``duplicate_day``: a daily-totals row repeats a day (and store) already given.

Export error codes (``ExportError.code``; the views render ``ingest.error.<code>`` with
``ExportError.params``):

- ``not_spreadsheet`` ``{file}``: neither an .xlsx workbook nor a CSV text file.
- ``old_xls`` ``{file}``: an Excel 97-2003 .xls file; open it in Excel or Google Sheets and
  save it as .xlsx ("File > Save As > Excel Workbook (.xlsx)").
- ``empty`` ``{file}``: no rows (or only a header).
- ``missing_column`` ``{format, column, expected}``: a recognised format lacks a needed column;
  ``column`` is the header expected, ``expected`` every needed header, comma-separated.
- ``unknown_header`` ``{formats, found}``: no known format; ``formats`` lists the known format
  names, ``found`` the first headers of the file.
- ``too_big`` ``{size_mb, limit_mb}``: decided by the caller (Telegram's 20 MB download limit
  for bots); use ``ExportError.too_big``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

DateOrder = Literal["day_first", "month_first"]

MISSING_ORDER_ID = "missing_order_id"
BAD_DATE = "bad_date"
BAD_AMOUNT = "bad_amount"
OTHER_STORE = "other_store"
DUPLICATE_DAY = "duplicate_day"
BAD_ROW_REASONS = (MISSING_ORDER_ID, BAD_DATE, BAD_AMOUNT, OTHER_STORE, DUPLICATE_DAY)

ERROR_CODES = (
    "not_spreadsheet",
    "old_xls",
    "empty",
    "missing_column",
    "unknown_header",
    "too_big",
)


@dataclass(frozen=True)
class BadRow:
    row: int  # the row number a spreadsheet program shows (the header row is 1 in a plain file)
    reason: str  # one of BAD_ROW_REASONS


@dataclass(frozen=True)
class ParsedExport:
    format: str  # "shopee_vn" | "shopee_en" | "tiktok" | a declared format's name
    platform: str  # the platform of the stores it belongs to: "shopee", "tiktok", "pos", ...
    date_order: DateOrder | None  # None: no date was text with both day and month as numbers
    days: tuple[tuple[date, dict[str, float]], ...]  # complete business days, sorted
    open_days: tuple[date, ...]  # left out: not over yet in the org timezone
    bad_rows: tuple[BadRow, ...]  # all of them, in file order
    rows_read: int  # data rows read (header, description row and blank rows not counted)
    store: str | None  # a store code when the file says which store (a store column)


class ExportError(Exception):
    """A file that cannot be imported at all; nothing of it may be written."""

    def __init__(self, code: str, **params: str) -> None:
        assert code in ERROR_CODES, code
        super().__init__(f"{code}: {params}" if params else code)
        self.code = code
        self.params: dict[str, str] = params

    @classmethod
    def too_big(cls, size_bytes: int, limit_bytes: int) -> ExportError:
        mb = 1024 * 1024
        return cls("too_big", size_mb=f"{size_bytes / mb:.1f}", limit_mb=f"{limit_bytes // mb}")
