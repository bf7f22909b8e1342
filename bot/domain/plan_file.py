"""Reading a plan file (.xlsx or .csv) into plan rows, or a precise list of what is wrong.

Pure: bytes in, rows and problems out. A plan sheet has one row per store, metric and month
(headers in Vietnamese or English: ``cửa hàng``, ``chỉ số``, ``tháng``, ``mục tiêu``); an
optional day-weights sheet (``trọng số``: store, month, day, weight) overrides the org file's
campaign days and paydays. Every problem names its sheet, row and column; the caller shows it
with a valid example. A file with any problem is never partly applied.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from bot.domain.months import YearMonth, parse_month
from bot.domain.numbers import NumberError, parse_number
from bot.domain.text_norm import normalize
from bot.org.schema import Unit

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_DATA_ROWS = 20_000
MAX_COLUMNS = 60
MAX_WEIGHT = 100.0
FileKind = Literal["xlsx", "csv"]

# Header aliases, folded (lower case, no accents).
PLAN_COLUMNS: dict[str, frozenset[str]] = {
    "store": frozenset(
        {"store", "store code", "shop", "cua hang", "ma cua hang", "gian hang", "ma gian hang"}
    ),
    "metric": frozenset({"metric", "metric key", "chi so", "ma chi so", "kpi"}),
    "month": frozenset({"month", "thang"}),
    "target": frozenset({"target", "muc tieu", "ke hoach", "plan", "chi tieu"}),
}
WEIGHT_COLUMNS: dict[str, frozenset[str]] = {
    "store": PLAN_COLUMNS["store"],
    "month": PLAN_COLUMNS["month"],
    "day": frozenset({"day", "ngay", "day of month", "ngay trong thang"}),
    "weight": frozenset({"weight", "trong so", "he so"}),
}
# Columns a person may keep for reading (names, units, notes); their content is not used.
INFO_COLUMNS = frozenset(
    {
        "store name", "ten cua hang", "ten gian hang", "name", "ten",
        "metric name", "ten chi so", "unit", "don vi", "note", "notes", "ghi chu",
        "current target", "muc tieu hien tai", "campaign", "dip", "su kien",
    }
)  # fmt: skip
PLAN_SHEET_NAMES = frozenset({"ke hoach", "plan", "plans", "muc tieu", "targets"})
WEIGHT_SHEET_NAMES = frozenset({"trong so", "trong so ngay", "weights", "day weights"})
NOTE_SHEET_NAMES = frozenset({"huong dan", "instructions", "readme"})
ALL_STORES = frozenset({"", "*", "all", "tat ca"})


@dataclass(frozen=True)
class PlanProblem:
    """One thing wrong, where it is (sheet, 1-based row, column letter) and its i18n code.

    ``code`` is a key under ``plan.problem.`` in the catalogues; ``params`` fill it in.
    """

    code: str
    params: Mapping[str, str] = field(default_factory=dict)
    sheet: str | None = None
    row: int | None = None
    column: str | None = None


@dataclass(frozen=True)
class PlanMetricSpec:
    key: str
    unit: Unit
    max_target: float | None = None  # a month of the metric's daily maximum


@dataclass(frozen=True)
class PlanFileContext:
    """What a file may name: stores in the importer's scope and the metrics that take a plan.

    Keys are folded texts (``normalize``): store codes, and metric keys, aliases and labels.
    ``other_metrics`` maps names of metrics that exist but take no plan to their key.
    """

    stores: Mapping[str, str]
    metrics: Mapping[str, PlanMetricSpec]
    other_metrics: Mapping[str, str] = field(default_factory=dict)
    default_month: YearMonth | None = None


@dataclass(frozen=True)
class PlanFileRow:
    store: str
    metric: str
    month: YearMonth
    target: float
    sheet: str | None
    row: int


@dataclass(frozen=True)
class WeightRow:
    store: str | None  # None: every store in the file
    month: YearMonth | None  # None: every month in the file
    day: int
    weight: float
    sheet: str | None
    row: int


@dataclass(frozen=True)
class ParsedPlanFile:
    rows: tuple[PlanFileRow, ...] = ()
    weights: tuple[WeightRow, ...] = ()
    skipped: int = 0  # rows left without a target (nothing to change)
    problems: tuple[PlanProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


# --- entry points ------------------------------------------------------------------------------


def file_kind(file_name: str) -> FileKind | None:
    name = file_name.lower()
    if name.endswith(".xlsx") or name.endswith(".xlsm"):
        return "xlsx"
    if name.endswith(".csv"):
        return "csv"
    return None


def size_problem(size: int | None) -> PlanProblem | None:
    """Refuse a file too big to read, before downloading it (Telegram tells its size)."""
    if size is not None and size > MAX_FILE_BYTES:
        return PlanProblem(
            "too_big", {"size": _megabytes(size), "limit": _megabytes(MAX_FILE_BYTES)}
        )
    return None


def parse_plan_file(file_name: str, content: bytes, context: PlanFileContext) -> ParsedPlanFile:
    kind = file_kind(file_name)
    if kind is None:
        return _failed(PlanProblem("wrong_type", {"name": file_name}))
    too_big = size_problem(len(content))
    if too_big is not None:
        return _failed(too_big)
    sheets = _csv_sheets(content) if kind == "csv" else _xlsx_sheets(content)
    if isinstance(sheets, PlanProblem):
        return _failed(sheets)
    return _read_sheets(sheets, context)


def _failed(problem: PlanProblem) -> ParsedPlanFile:
    return ParsedPlanFile(problems=(problem,))


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


# --- reading the container ---------------------------------------------------------------------

Rows = list[tuple[Any, ...]]


@dataclass
class _Sheet:
    name: str | None  # None for a CSV file (one unnamed sheet)
    rows: Rows
    truncated: bool = False


def _csv_sheets(content: bytes) -> list[_Sheet] | PlanProblem:
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
    return [_Sheet(None, rows, truncated)]


def _xlsx_sheets(content: bytes) -> list[_Sheet] | PlanProblem:
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
            sheets.append(_Sheet(worksheet.title, rows, truncated))
    except Exception:  # a sheet whose XML is damaged
        return PlanProblem("not_xlsx")
    finally:
        workbook.close()
    return sheets


# --- reading the sheets ------------------------------------------------------------------------


def _pick_sheets(sheets: list[_Sheet]) -> tuple[_Sheet | None, _Sheet | None]:
    by_kind: dict[str, _Sheet] = {}
    for sheet in sheets:
        name = normalize(sheet.name or "")
        if name in WEIGHT_SHEET_NAMES:
            by_kind.setdefault("weights", sheet)
        elif name in PLAN_SHEET_NAMES:
            by_kind.setdefault("plan", sheet)
    plan = by_kind.get("plan") or next(
        (s for s in sheets if normalize(s.name or "") not in WEIGHT_SHEET_NAMES | NOTE_SHEET_NAMES),
        None,
    )
    return plan, by_kind.get("weights")


def _read_sheets(sheets: list[_Sheet], context: PlanFileContext) -> ParsedPlanFile:
    plan_sheet, weight_sheet = _pick_sheets(sheets)
    if plan_sheet is None:
        return _failed(PlanProblem("no_plan_sheet"))
    reader = _PlanReader(context)
    reader.read_plan(plan_sheet)
    if weight_sheet is not None:
        reader.read_weights(weight_sheet)
    if not reader.problems and not reader.rows:
        reader.problems.append(PlanProblem("no_rows", sheet=plan_sheet.name))
    return ParsedPlanFile(
        rows=tuple(reader.rows),
        weights=tuple(reader.weights),
        skipped=reader.skipped,
        problems=tuple(reader.problems),
    )


@dataclass
class _Header:
    row: int
    columns: dict[str, int]  # field -> 0-based column index


def _column_letter(index: int) -> str:
    letters = ""
    number = index + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _data_rows(rows: Rows, start: int) -> Iterator[tuple[int, tuple[Any, ...]]]:
    for index in range(start, len(rows)):
        values = rows[index]
        if any(_cell_text(v) for v in values):
            yield index + 1, values


class _PlanReader:
    """Collects rows and problems over the plan sheet, then the weights sheet."""

    def __init__(self, context: PlanFileContext) -> None:
        self.context = context
        self.rows: list[PlanFileRow] = []
        self.weights: list[WeightRow] = []
        self.problems: list[PlanProblem] = []
        self.skipped = 0

    def problem(
        self,
        code: str,
        sheet: _Sheet,
        row: int | None = None,
        column: int | None = None,
        **params: str,
    ) -> None:
        letter = _column_letter(column) if column is not None else None
        self.problems.append(PlanProblem(code, params, sheet.name, row, letter))

    # headers

    def header(
        self, sheet: _Sheet, fields: Mapping[str, frozenset[str]], required: Sequence[str]
    ) -> _Header | None:
        first = next(_data_rows(sheet.rows, 0), None)
        if first is None:
            self.problem("empty_sheet", sheet)
            return None
        row_number, values = first
        columns: dict[str, int] = {}
        known = sorted({alias for aliases in fields.values() for alias in aliases})
        for index, value in enumerate(values):
            text = normalize(_cell_text(value))
            if not text or text in INFO_COLUMNS:
                continue
            name = next((f for f, aliases in fields.items() if text in aliases), None)
            if name is None:
                hint = _closest(text, known)
                self.problem(
                    "unknown_column", sheet, row_number, index, header=_cell_text(value), hint=hint
                )
            elif name in columns:
                self.problem("duplicate_column", sheet, row_number, index, header=_cell_text(value))
            else:
                columns[name] = index
        missing = [name for name in required if name not in columns]
        for name in missing:
            self.problem("missing_column", sheet, row_number, column=None, field=name)
        if missing:
            return None
        return _Header(row_number, columns)

    # the plan sheet

    def read_plan(self, sheet: _Sheet) -> None:
        required = ["store", "metric", "target"]
        if self.context.default_month is None:
            required.insert(2, "month")
        header = self.header(sheet, PLAN_COLUMNS, required)
        if header is None:
            return
        if sheet.truncated:
            self.problem("too_many_rows", sheet, limit=str(MAX_DATA_ROWS))
            return
        seen: dict[tuple[str, str, YearMonth], int] = {}
        for row_number, values in _data_rows(sheet.rows, header.row):
            row = self.plan_row(sheet, header, row_number, values)
            if row is None:
                continue
            key = (row.store, row.metric, row.month)
            if key in seen:
                self.problem(
                    "duplicate_row",
                    sheet,
                    row_number,
                    first=str(seen[key]),
                    store=row.store,
                    metric=row.metric,
                    month=str(row.month),
                )
                continue
            seen[key] = row_number
            self.rows.append(row)

    def plan_row(
        self, sheet: _Sheet, header: _Header, row_number: int, values: tuple[Any, ...]
    ) -> PlanFileRow | None:
        def cell(name: str) -> Any:
            index = header.columns.get(name)
            return values[index] if index is not None and index < len(values) else None

        before = len(self.problems)
        store = self.store(sheet, row_number, header.columns["store"], cell("store"))
        metric = self.metric(sheet, row_number, header.columns["metric"], cell("metric"))
        month = self.month(sheet, row_number, header.columns.get("month"), cell("month"))
        raw_target = cell("target")
        if _cell_text(raw_target) == "":
            if len(self.problems) == before:
                self.skipped += 1  # a template row left empty: nothing to change
            return None
        # With an unknown metric the target is still checked, as money, so every problem shows.
        spec = metric or PlanMetricSpec("", "money")
        target = self.target(sheet, row_number, header.columns["target"], raw_target, spec)
        if store is None or metric is None or month is None or target is None:
            return None
        return PlanFileRow(store, metric.key, month, target, sheet.name, row_number)

    def store(self, sheet: _Sheet, row: int, column: int, value: Any) -> str | None:
        text = _cell_text(value)
        if not text:
            self.problem("missing_store", sheet, row, column)
            return None
        code = self.context.stores.get(normalize(text))
        if code is None:
            hint = _closest(text.upper(), self.context.stores.values())
            self.problem("unknown_store", sheet, row, column, value=text, hint=hint)
        return code

    def metric(self, sheet: _Sheet, row: int, column: int, value: Any) -> PlanMetricSpec | None:
        text = _cell_text(value)
        if not text:
            self.problem("missing_metric", sheet, row, column)
            return None
        folded = normalize(text)
        spec = self.context.metrics.get(folded)
        if spec is not None:
            return spec
        keys = sorted({s.key for s in self.context.metrics.values()})
        other = self.context.other_metrics.get(folded)
        if other is not None:
            self.problem(
                "metric_without_plan", sheet, row, column, value=text, known=", ".join(keys)
            )
        else:
            hint = _closest(folded, {s.key for s in self.context.metrics.values()})
            self.problem(
                "unknown_metric", sheet, row, column, value=text, known=", ".join(keys), hint=hint
            )
        return None

    def month(self, sheet: _Sheet, row: int, column: int | None, value: Any) -> YearMonth | None:
        text = _cell_text(value)
        if not text:
            if self.context.default_month is not None:
                return self.context.default_month
            self.problem("missing_month", sheet, row, column)
            return None
        month = _month_of(value)
        if month is None:
            self.problem("bad_month", sheet, row, column, value=text)
        return month

    def target(
        self, sheet: _Sheet, row: int, column: int, value: Any, metric: PlanMetricSpec
    ) -> float | None:
        number = self.number(sheet, row, column, value, metric.unit)
        if number is None:
            return None
        if metric.max_target is not None and number > metric.max_target:
            self.problem(
                "target_too_big",
                sheet,
                row,
                column,
                value=_cell_text(value),
                metric=metric.key,
                limit=f"{metric.max_target:,.0f}",
            )
            return None
        return number

    def number(self, sheet: _Sheet, row: int, column: int, value: Any, unit: Unit) -> float | None:
        text = _cell_text(value)
        if isinstance(value, (bool, datetime, date)):
            self.problem("not_a_number", sheet, row, column, value=text, unit=unit)
            return None
        if isinstance(value, (int, float)):
            number = float(value)
            if not math.isfinite(number):
                self.problem("not_a_number", sheet, row, column, value=text, unit=unit)
                return None
        else:
            try:
                number = parse_number(text, unit)
            except NumberError as error:
                code = "negative" if error.message_key == "negative" else "not_a_number"
                self.problem(code, sheet, row, column, value=text, unit=unit)
                return None
        if number < 0:
            self.problem("negative", sheet, row, column, value=text, unit=unit)
            return None
        return number

    # the weights sheet

    def read_weights(self, sheet: _Sheet) -> None:
        header = self.header(sheet, WEIGHT_COLUMNS, ["day", "weight"])
        if header is None:
            return
        if sheet.truncated:
            self.problem("too_many_rows", sheet, limit=str(MAX_DATA_ROWS))
            return
        planned_stores = {row.store for row in self.rows}
        seen: dict[tuple[str | None, YearMonth | None, int], int] = {}
        for row_number, values in _data_rows(sheet.rows, header.row):
            weight_row = self.weight_row(sheet, header, row_number, values, planned_stores)
            if weight_row is None:
                continue
            key = (weight_row.store, weight_row.month, weight_row.day)
            if key in seen:
                self.problem(
                    "duplicate_weight", sheet, row_number, first=str(seen[key]), day=str(key[2])
                )
                continue
            seen[key] = row_number
            self.weights.append(weight_row)

    def weight_row(
        self,
        sheet: _Sheet,
        header: _Header,
        row_number: int,
        values: tuple[Any, ...],
        planned_stores: set[str],
    ) -> WeightRow | None:
        def cell(name: str) -> Any:
            index = header.columns.get(name)
            return values[index] if index is not None and index < len(values) else None

        before = len(self.problems)
        store: str | None = None
        store_text = _cell_text(cell("store"))
        if normalize(store_text) not in ALL_STORES:
            store = self.store(sheet, row_number, header.columns["store"], store_text)
            if store is not None and store not in planned_stores:
                self.problem(
                    "weight_store_without_plan",
                    sheet,
                    row_number,
                    header.columns["store"],
                    store=store,
                )
        month: YearMonth | None = None
        if _cell_text(cell("month")):
            month = self.month(sheet, row_number, header.columns.get("month"), cell("month"))
        day = self.day(sheet, row_number, header.columns["day"], cell("day"), month)
        weight = self.weight(sheet, row_number, header.columns["weight"], cell("weight"))
        if len(self.problems) != before or day is None or weight is None:
            return None
        return WeightRow(store, month, day, weight, sheet.name, row_number)

    def day(
        self, sheet: _Sheet, row: int, column: int, value: Any, month: YearMonth | None
    ) -> int | None:
        text = _cell_text(value)
        day: int | None = None
        if isinstance(value, (datetime, date)):
            day = value.day
        elif text.isdigit():
            day = int(text)
        else:
            parts = text.replace("-", "/").replace(".", "/").split("/")
            if len(parts) >= 2 and parts[0].isdigit():
                day = int(parts[0])  # 11/11 or 25/12/2026: the day comes first
        limit = month.days if month is not None else 31
        if day is None or not 1 <= day <= limit:
            self.problem("bad_day", sheet, row, column, value=text, limit=str(limit))
            return None
        return day

    def weight(self, sheet: _Sheet, row: int, column: int, value: Any) -> float | None:
        if _cell_text(value) == "":
            self.problem("bad_weight", sheet, row, column, value="")
            return None
        number = self.number(sheet, row, column, value, "number")
        if number is None:
            return None
        if number <= 0 or number > MAX_WEIGHT:
            self.problem("bad_weight", sheet, row, column, value=_cell_text(value))
            return None
        return number


def _closest(word: str, candidates: Iterable[str]) -> str:
    """The known value a typo most likely meant, or "" (shown as "did you mean ...?")."""
    close = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=0.6)
    return close[0] if close else ""


def _month_of(value: Any) -> YearMonth | None:
    if isinstance(value, (datetime, date)):
        return YearMonth(value.year, value.month)
    return parse_month(_cell_text(value))
