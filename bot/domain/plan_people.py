"""The plan file's ``people`` sheet: member, metric, month, monthly target.

A member is named by their Telegram ``@username`` or the numeric id ``/me`` shows; only members
in the importer's scope are found. Problems name sheet, row and column like the plan sheet's.
"""

from __future__ import annotations

from typing import Any

from bot.domain.months import YearMonth
from bot.domain.plan_reader import (
    PLAN_COLUMNS,
    PlanReader,
    _cell_text,
    _closest,
    _data_rows,
    _Header,
)
from bot.domain.plan_rows import PersonRow, PlanMetricSpec
from bot.domain.plan_sheets import MAX_DATA_ROWS, RawSheet
from bot.domain.text_norm import normalize

PEOPLE_COLUMNS: dict[str, frozenset[str]] = {
    "member": frozenset(
        {"member", "person", "username", "telegram", "nguoi", "nhan vien", "thanh vien", "ten"}
    ),
    "metric": PLAN_COLUMNS["metric"],
    "month": PLAN_COLUMNS["month"],
    "target": PLAN_COLUMNS["target"],
}


def member_key(text: str) -> str:
    """How a member is looked up: folded, without the leading ``@``."""
    return normalize(text).lstrip("@").strip()


def read_people(reader: PlanReader, sheet: RawSheet) -> list[PersonRow]:
    required = ["member", "metric", "target"]
    if reader.context.default_month is None:
        required.insert(2, "month")
    header = reader.header(sheet, PEOPLE_COLUMNS, required)
    if header is None:
        return []
    if sheet.truncated:
        reader.problem("too_many_rows", sheet, limit=str(MAX_DATA_ROWS))
        return []
    rows: list[PersonRow] = []
    seen: dict[tuple[int, str, YearMonth], int] = {}
    for row_number, values in _data_rows(sheet.rows, header.row):
        row = _person_row(reader, sheet, header, row_number, values)
        if row is None:
            continue
        key = (row.member_id, row.metric, row.month)
        if key in seen:
            reader.problem(
                "duplicate_person",
                sheet,
                row_number,
                first=str(seen[key]),
                member=row.member,
                metric=row.metric,
                month=str(row.month),
            )
            continue
        seen[key] = row_number
        rows.append(row)
    return rows


def _person_row(
    reader: PlanReader, sheet: RawSheet, header: _Header, row_number: int, values: tuple[Any, ...]
) -> PersonRow | None:
    def cell(name: str) -> Any:
        index = header.columns.get(name)
        return values[index] if index is not None and index < len(values) else None

    before = len(reader.problems)
    member_text = _cell_text(cell("member"))
    member_id = _member(reader, sheet, row_number, header.columns["member"], member_text)
    metric = _metric(reader, sheet, row_number, header.columns["metric"], cell("metric"))
    month = reader.month(sheet, row_number, header.columns.get("month"), cell("month"))
    raw_target = cell("target")
    if _cell_text(raw_target) == "":
        if len(reader.problems) == before:
            reader.skipped += 1
        return None
    spec = metric or PlanMetricSpec("", "number")
    target = reader.target(sheet, row_number, header.columns["target"], raw_target, spec)
    if member_id is None or metric is None or month is None or target is None:
        return None
    return PersonRow(member_id, member_text, metric.key, month, target, sheet.name, row_number)


def _member(reader: PlanReader, sheet: RawSheet, row: int, column: int, text: str) -> int | None:
    if not text:
        reader.problem("missing_member", sheet, row, column)
        return None
    found = reader.context.members.get(member_key(text))
    if found is None:
        names = [f"@{k}" for k in reader.context.members if not k.isdigit()]
        hint = _closest("@" + member_key(text), names)
        reader.problem("unknown_member", sheet, row, column, value=text, hint=hint)
    return found


def _metric(
    reader: PlanReader, sheet: RawSheet, row: int, column: int, value: Any
) -> PlanMetricSpec | None:
    text = _cell_text(value)
    if not text:
        reader.problem("missing_metric", sheet, row, column)
        return None
    metrics = reader.context.person_metrics
    spec = metrics.get(normalize(text))
    if spec is None:
        keys = sorted({s.key for s in metrics.values()})
        hint = _closest(normalize(text), keys)
        known = ", ".join(keys)
        reader.problem(
            "unknown_person_metric", sheet, row, column, value=text, known=known, hint=hint
        )
    return spec
