"""Rows of a file, streamed: the sheets of an .xlsx workbook (openpyxl, read-only) or a CSV.

The kind of file is decided from its first bytes, not its name. Rows come as
``(row number, values)`` with the row number a spreadsheet program would show.
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.marketplace.model import ExportError

Row = tuple[int, Sequence[Any]]
Sheet = Iterator[Row]

_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls) and other old Office files
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"Rar!", b"7z")
_CHUNK = 1 << 20


@contextmanager
def open_sheets(path: Path, file_name: str) -> Iterator[Iterator[Sheet]]:
    """The file's sheets (one for a CSV file), each an iterator of rows."""
    with path.open("rb") as stream:
        head = stream.read(4096)
    if not head:
        raise ExportError("empty", file=file_name)
    if head.startswith(_OLE2):
        raise ExportError("old_xls", file=file_name)
    if head.startswith(_ZIP):
        with _workbook(path, file_name) as sheets:
            yield sheets
        return
    if head.startswith(_BINARY_MAGIC):
        raise ExportError("not_spreadsheet", file=file_name)
    encoding = _encoding(path, head)
    if encoding != "utf-16" and b"\x00" in head:
        raise ExportError("not_spreadsheet", file=file_name)
    with path.open(encoding=encoding, newline="", errors="replace") as text:
        yield iter((_csv_rows(text),))


@contextmanager
def _workbook(path: Path, file_name: str) -> Iterator[Iterator[Sheet]]:
    from openpyxl import load_workbook  # heavy: imported only when a workbook is read

    if not zipfile.is_zipfile(path):
        raise ExportError("not_spreadsheet", file=file_name)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception:  # openpyxl raises many types for a package that is no workbook
        raise ExportError("not_spreadsheet", file=file_name) from None
    try:
        yield (_sheet_rows(ws) for ws in workbook.worksheets)
    finally:
        workbook.close()


def _sheet_rows(worksheet: Any) -> Sheet:
    from bot.marketplace.sheet_xml import FastSheet  # imports openpyxl

    try:
        return FastSheet(worksheet)
    except AttributeError:  # another openpyxl version: its own (slower) row iterator
        return _openpyxl_rows(worksheet)


def _openpyxl_rows(worksheet: Any) -> Sheet:
    # Some exporters write a wrong <dimension>: read every row and column actually present.
    if hasattr(worksheet, "reset_dimensions"):
        worksheet.reset_dimensions()
    yield from enumerate(worksheet.iter_rows(values_only=True), start=1)


def narrow(sheet: Sheet, columns: Iterable[int]) -> None:
    """From now on only these columns are needed (others may come as None)."""
    if hasattr(sheet, "wanted"):  # a FastSheet
        sheet.wanted = frozenset(columns)


def _encoding(path: Path, head: bytes) -> str:
    """UTF-8 (with or without BOM) if the whole file is valid UTF-8, else Vietnamese Windows
    (cp1258), else Latin-1 (reads any byte)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8-sig", "cp1258"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as stream:
                while chunk := stream.read(_CHUNK):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"


def _csv_rows(text: Any) -> Sheet:
    first = ""
    for line in text:
        if line.strip():
            first = line
            break
    delimiter = max(",;\t|", key=first.count) if first else ","
    text.seek(0)
    try:
        yield from enumerate(csv.reader(text, delimiter=delimiter), start=1)
    except csv.Error:
        return  # a broken quote at the end: the rows read so far stand
