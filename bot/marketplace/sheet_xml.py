"""A faster read-only row iterator over an openpyxl read-only worksheet.

openpyxl builds every cell of every row in Python, which for a marketplace export (50-60
columns, of which five are read) is most of the time. This iterator streams the same sheet
XML (``ReadOnlyWorksheet._get_source()``, with the workbook's shared strings and date styles as
openpyxl loaded them) and converts only the cells of the columns asked for (``wanted``); until
the header is known, every cell. Values are what ``iter_rows(values_only=True)`` gives
(numbers, text, dates as ``datetime``); memory stays one row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from xml.etree.ElementTree import iterparse

from openpyxl.utils.datetime import from_excel

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _VALUE, _INLINE, _TEXT = f"{_NS}row", f"{_NS}v", f"{_NS}is", f"{_NS}t"


def _column(ref: str, cache: dict[str, int]) -> int:
    """0-based column of a cell reference such as "BF12"."""
    letters = ref.rstrip("0123456789")
    index = cache.get(letters)
    if index is None:
        index = 0
        for char in letters:
            index = index * 26 + ord(char) - 64
        index = cache[letters] = index - 1
    return index


class FastSheet:
    """Rows ``(row number, values)`` of one worksheet; set ``wanted`` to read fewer columns."""

    def __init__(self, worksheet: Any) -> None:
        workbook = worksheet.parent
        self._source = worksheet._get_source()
        self._strings: Sequence[str] = worksheet._shared_strings
        self._dates: set[int] = set(workbook._date_formats)
        self._epoch = workbook.epoch
        self.wanted: frozenset[int] | None = None
        self._rows = self._generate()

    def __iter__(self) -> FastSheet:
        return self

    def __next__(self) -> tuple[int, Sequence[Any]]:
        return next(self._rows)

    def _generate(self) -> Iterator[tuple[int, Sequence[Any]]]:
        cache: dict[str, int] = {}
        number = 0
        try:
            for _event, element in iterparse(self._source):
                if element.tag != _ROW:
                    continue
                ref = element.get("r")
                number = int(ref) if ref else number + 1
                yield number, self._values(element, cache)
                element.clear()
        finally:
            self._source.close()

    def _values(self, row: Any, cache: dict[str, int]) -> list[Any]:
        wanted = self.wanted
        cells: dict[int, Any] = {}
        position = -1
        for cell in row:
            ref = cell.get("r")
            position = _column(ref, cache) if ref else position + 1
            if wanted is None or position in wanted:
                cells[position] = self._value(cell)
        values: list[Any] = [None] * (max(cells) + 1 if cells else 0)
        for position, value in cells.items():
            values[position] = value
        return values

    def _value(self, cell: Any) -> Any:
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            inline = cell.find(_INLINE)
            return "".join(t.text or "" for t in inline.iter(_TEXT)) if inline is not None else None
        raw = cell.findtext(_VALUE)
        if not raw:  # no value, or a formula never calculated
            return None
        if kind == "s":
            return self._strings[int(raw)]
        if kind == "n":
            number = float(raw)
            style = cell.get("s")
            if style is not None and int(style) in self._dates:
                try:
                    return from_excel(number, self._epoch)
                except (ValueError, OverflowError):
                    return number
            return int(number) if number.is_integer() and "." not in raw else number
        if kind == "b":
            return raw == "1"
        if kind == "e":
            return None
        return raw  # "str" (a formula's text) and "d" (ISO 8601 text, read as text dates)
