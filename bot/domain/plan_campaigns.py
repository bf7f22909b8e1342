"""The plan file's optional `campaigns` sheet (``chiến dịch``): one row per campaign.

Columns (Vietnamese or English, folded): code, campaign name, start, end, stores (codes in the
importer's scope, separated by commas), budget, then one column per metric whose cells are the
campaign's targets (``gmv``, ``Doanh thu``…). Every problem names its sheet, row and column,
like the plan sheet's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from bot.domain.text_norm import normalize

if TYPE_CHECKING:
    from bot.domain.plan_reader import PlanReader
    from bot.domain.plan_sheets import RawSheet

CAMPAIGN_SHEET_NAMES = frozenset({"campaigns", "campaign", "chien dich"})
COLUMNS: dict[str, frozenset[str]] = {
    "campaign_code": frozenset({"ma", "code", "ma chien dich", "campaign code"}),
    "campaign_name": frozenset({"ten chien dich", "campaign name"}),
    "campaign_start": frozenset({"bat dau", "tu ngay", "ngay bat dau", "start", "from"}),
    "campaign_end": frozenset({"ket thuc", "den ngay", "ngay ket thuc", "end", "to"}),
    "campaign_stores": frozenset({"cua hang", "gian hang", "stores", "store", "shop"}),
    "campaign_budget": frozenset({"ngan sach", "budget"}),
}
REQUIRED = ("campaign_code", "campaign_name", "campaign_start", "campaign_end", "campaign_stores")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


@dataclass(frozen=True)
class CampaignRow:
    code: str
    name: str
    start: date
    end: date
    stores: tuple[str, ...]
    budget: float | None = None
    targets: Mapping[str, float] = field(default_factory=dict)
    row: int = 0

    def to_data(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "stores": list(self.stores),
            "budget": self.budget,
            "targets": dict(self.targets),
            "row": self.row,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> CampaignRow:
        return cls(
            code=str(data["code"]),
            name=str(data["name"]),
            start=date.fromisoformat(data["start"]),
            end=date.fromisoformat(data["end"]),
            stores=tuple(data["stores"]),
            budget=None if data.get("budget") is None else float(data["budget"]),
            targets={str(k): float(v) for k, v in dict(data.get("targets") or {}).items()},
            row=int(data.get("row", 0)),
        )


def is_campaign_sheet(sheet: RawSheet) -> bool:
    return normalize(sheet.name or "") in CAMPAIGN_SHEET_NAMES


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    match = _DMY.match(text)
    if match is None:
        return None
    try:
        return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    except ValueError:
        return None


def read_campaigns(reader: PlanReader, sheet: RawSheet) -> list[CampaignRow]:
    metric_columns = {
        f"metric:{spec.key}": frozenset(n for n, s in reader.context.metrics.items() if s == spec)
        for spec in reader.context.metrics.values()
    }
    header = reader.header(sheet, COLUMNS | metric_columns, REQUIRED)
    if header is None:
        return []
    from bot.domain.plan_reader import _cell_text, _data_rows

    rows: list[CampaignRow] = []
    seen: dict[str, int] = {}
    for row_number, values in _data_rows(sheet.rows, header.row):

        def cell(name: str, values: tuple[Any, ...] = values) -> Any:
            index = header.columns.get(name)
            return values[index] if index is not None and index < len(values) else None

        def column(name: str) -> int | None:
            return header.columns.get(name)

        before = len(reader.problems)
        code = _cell_text(cell("campaign_code"))
        if _CODE.match(code) is None:
            reader.problem(
                "campaign_bad_code", sheet, row_number, column("campaign_code"), value=code
            )
        elif code in seen:
            reader.problem(
                "campaign_duplicate", sheet, row_number, column("campaign_code"),
                value=code, first=str(seen[code]),
            )  # fmt: skip
        seen.setdefault(code, row_number)
        name = _cell_text(cell("campaign_name"))
        if not name:
            reader.problem("campaign_no_name", sheet, row_number, column("campaign_name"))
        start, end = _date(cell("campaign_start")), _date(cell("campaign_end"))
        for key, day in (("campaign_start", start), ("campaign_end", end)):
            if day is None:
                text = _cell_text(cell(key))
                reader.problem("campaign_bad_date", sheet, row_number, column(key), value=text)
        if start is not None and end is not None and end < start:
            reader.problem("campaign_backwards", sheet, row_number, column("campaign_end"))
        stores = []
        for item in re.split(r"[,;\n]+", _cell_text(cell("campaign_stores"))):
            if item.strip():
                found = reader.store(sheet, row_number, header.columns["campaign_stores"], item)
                if found is not None:
                    stores.append(found)
        if not stores and len(reader.problems) == before:
            reader.problem("missing_store", sheet, row_number, column("campaign_stores"))
        budget = None
        if _cell_text(cell("campaign_budget")):
            index = header.columns["campaign_budget"]
            budget = reader.number(sheet, row_number, index, cell("campaign_budget"), "money")
        targets: dict[str, float] = {}
        for key in header.columns:
            if key.startswith("metric:") and _cell_text(cell(key)):
                spec = next(s for s in reader.context.metrics.values() if s.key == key[7:])
                value = reader.number(sheet, row_number, header.columns[key], cell(key), spec.unit)
                if value:
                    targets[spec.key] = value
        if len(reader.problems) == before and start is not None and end is not None:
            rows.append(
                CampaignRow(code, name, start, end, tuple(stores), budget, targets, row_number)
            )
    return rows
