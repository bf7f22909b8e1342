"""Reading the plan and day-weight sheets of a plan file, cell by cell.

Headers are matched in Vietnamese or English (folded: lower case, no accents); every problem
names its sheet, row and column, and reading goes on so that all of them show at once.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.domain.months import YearMonth, parse_month
from bot.domain.numbers import NumberError, ceiling_for, parse_number
from bot.domain.plan_campaigns import is_campaign_sheet, read_campaigns
from bot.domain.plan_rows import (
    ParsedPlanFile,
    PlanFileContext,
    PlanFileRow,
    PlanMetricSpec,
    PlanProblem,
    WeightRow,
)
from bot.domain.plan_sheets import MAX_DATA_ROWS, RawSheet, Rows
from bot.domain.text_norm import normalize
from bot.org.fields import Unit

MAX_WEIGHT = 100.0

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
PEOPLE_SHEET_NAMES = frozenset({"people", "nhan su", "ca nhan", "nhan vien", "muc tieu ca nhan"})
ALL_STORES = frozenset({"", "*", "all", "tat ca"})


def _pick_sheets(sheets: list[RawSheet]) -> tuple[RawSheet | None, RawSheet | None]:
    by_kind: dict[str, RawSheet] = {}
    for sheet in sheets:
        name = normalize(sheet.name or "")
        if name in WEIGHT_SHEET_NAMES:
            by_kind.setdefault("weights", sheet)
        elif name in PLAN_SHEET_NAMES:
            by_kind.setdefault("plan", sheet)
    others = WEIGHT_SHEET_NAMES | NOTE_SHEET_NAMES | PEOPLE_SHEET_NAMES
    plan = by_kind.get("plan") or next(
        (s for s in sheets if normalize(s.name or "") not in others), None
    )
    return plan, by_kind.get("weights")


def read_sheets(sheets: list[RawSheet], context: PlanFileContext) -> ParsedPlanFile:
    # The people sheet's reader builds on PlanReader: imported here, not at the top.
    from bot.domain.plan_people import read_people

    # The optional campaigns sheet is read on its own; a file may hold only campaigns.
    campaign_sheet = next((s for s in sheets if is_campaign_sheet(s)), None)
    plan_sheet, weight_sheet = _pick_sheets([s for s in sheets if s is not campaign_sheet])
    people_sheet = next((s for s in sheets if normalize(s.name or "") in PEOPLE_SHEET_NAMES), None)
    if plan_sheet is None and people_sheet is None and campaign_sheet is None:
        return ParsedPlanFile(problems=(PlanProblem("no_plan_sheet"),))
    reader = PlanReader(context)
    if plan_sheet is not None:
        reader.read_plan(plan_sheet)
    if weight_sheet is not None:
        reader.read_weights(weight_sheet)
    people = read_people(reader, people_sheet) if people_sheet is not None else []
    campaigns = read_campaigns(reader, campaign_sheet) if campaign_sheet is not None else []
    if not reader.problems and not reader.rows and not people and not campaigns:
        sheet = plan_sheet or people_sheet
        reader.problems.append(PlanProblem("no_rows", sheet=sheet.name if sheet else None))
    return ParsedPlanFile(
        rows=tuple(reader.rows),
        weights=tuple(reader.weights),
        people=tuple(people),
        skipped=reader.skipped,
        problems=tuple(reader.problems),
        campaigns=tuple(campaigns),
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


class PlanReader:
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
        sheet: RawSheet,
        row: int | None = None,
        column: int | None = None,
        **params: str,
    ) -> None:
        letter = _column_letter(column) if column is not None else None
        self.problems.append(PlanProblem(code, params, sheet.name, row, letter))

    # headers

    def header(
        self, sheet: RawSheet, fields: Mapping[str, frozenset[str]], required: Sequence[str]
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

    def read_plan(self, sheet: RawSheet) -> None:
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
        self, sheet: RawSheet, header: _Header, row_number: int, values: tuple[Any, ...]
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

    def store(self, sheet: RawSheet, row: int, column: int, value: Any) -> str | None:
        text = _cell_text(value)
        if not text:
            self.problem("missing_store", sheet, row, column)
            return None
        code = self.context.stores.get(normalize(text))
        if code is None:
            hint = _closest(text.upper(), self.context.stores.values())
            self.problem("unknown_store", sheet, row, column, value=text, hint=hint)
        return code

    def metric(self, sheet: RawSheet, row: int, column: int, value: Any) -> PlanMetricSpec | None:
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

    def month(self, sheet: RawSheet, row: int, column: int | None, value: Any) -> YearMonth | None:
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
        self, sheet: RawSheet, row: int, column: int, value: Any, metric: PlanMetricSpec
    ) -> float | None:
        number = self.number(sheet, row, column, value, metric.unit, metric.max_target)
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

    def number(
        self,
        sheet: RawSheet,
        row: int,
        column: int,
        value: Any,
        unit: Unit,
        maximum: float | None = None,
    ) -> float | None:
        """A non-negative number; without a ``maximum`` (checked by the caller) no larger
        than the unit's sanity ceiling, typed as text or stored as a number alike."""
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
                number = parse_number(text, unit, maximum=maximum)
            except NumberError as error:
                if error.message_key == "too_large":
                    self._too_large(sheet, row, column, text, unit)
                    return None
                code = "negative" if error.message_key == "negative" else "not_a_number"
                self.problem(code, sheet, row, column, value=text, unit=unit)
                return None
        if number < 0:
            self.problem("negative", sheet, row, column, value=text, unit=unit)
            return None
        if maximum is None and number > ceiling_for(unit):
            self._too_large(sheet, row, column, text, unit)
            return None
        return number

    def _too_large(self, sheet: RawSheet, row: int, column: int, text: str, unit: Unit) -> None:
        limit = f"{ceiling_for(unit):,.0f}"
        self.problem("too_large", sheet, row, column, value=text, unit=unit, limit=limit)

    # the weights sheet

    def read_weights(self, sheet: RawSheet) -> None:
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
        sheet: RawSheet,
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
        self, sheet: RawSheet, row: int, column: int, value: Any, month: YearMonth | None
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

    def weight(self, sheet: RawSheet, row: int, column: int, value: Any) -> float | None:
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
