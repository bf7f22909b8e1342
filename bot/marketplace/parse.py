"""``parse_export``: one file to a ``ParsedExport`` (or an ``ExportError``)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from bot.marketplace.aggregate import OrderReader, TotalsReader
from bot.marketplace.formats import Match, detect, expected_header, metric_keys, org_specs
from bot.marketplace.model import ExportError, ParsedExport
from bot.marketplace.reader import Sheet, narrow, open_sheets
from bot.marketplace.text import cell_text
from bot.org.schema import OrgConfig

HEADER_SEARCH_ROWS = 10  # a header may sit under a few title rows


def _blank(values: object) -> bool:
    return not any(cell_text(v) for v in values)  # type: ignore[attr-defined]


def _find_header(sheet: Sheet, org: OrgConfig) -> tuple[Match | None, list[str]]:
    """Read up to the header row; the format found and the first non-empty row (for errors)."""
    specs = org_specs(org)
    first: list[str] = []
    seen = 0
    for _number, values in sheet:
        if _blank(values):
            continue
        if not first:
            first = [cell_text(v) for v in values if cell_text(v)]
        match = detect(specs, values)
        if match is not None:
            return match, first
        seen += 1
        if seen >= HEADER_SEARCH_ROWS:
            break
    return None, first


def parse_export(path: Path, file_name: str, org: OrgConfig, now: datetime) -> ParsedExport:
    """Read an export and sum it per business day. Synchronous and streamed: callers run it
    in a thread (``asyncio.to_thread``). Raises ``ExportError`` for a file that cannot be read.
    """
    with open_sheets(path, file_name) as sheets:
        first_seen: list[str] = []
        for sheet in sheets:
            match, first = _find_header(sheet, org)
            first_seen = first_seen or first
            if match is not None:
                return _read(match, sheet, org, now, file_name)
    if not first_seen:
        raise ExportError("empty", file=file_name)
    names = [spec.name for spec in org_specs(org)]
    raise ExportError("unknown_header", formats=", ".join(names), found=", ".join(first_seen[:8]))


def _read(
    match: Match, sheet: Sheet, org: OrgConfig, now: datetime, file_name: str
) -> ParsedExport:
    spec = match.spec
    if match.missing:
        raise ExportError(
            "missing_column",
            format=spec.name,
            column=spec.roles[match.missing[0]][0],
            expected=expected_header(spec),
        )
    narrow(sheet, match.columns.values())
    tz = org.tz
    reader = (OrderReader if spec.kind == "orders" else TotalsReader)(spec, match.columns, tz)
    rows_read = 0
    for number, values in sheet:
        if _blank(values):
            continue
        if rows_read == 0 and reader.is_description(values):
            continue
        rows_read += 1
        reader.add(number, values)
    if rows_read == 0:
        raise ExportError("empty", file=file_name)
    totals = reader.finish()
    today = now.astimezone(tz).date()
    keys = metric_keys(spec, org) if spec.kind == "orders" else None
    days: list[tuple[date, dict[str, float]]] = []
    open_days = []
    for day in sorted(totals.days):
        if day >= today:
            open_days.append(day)
            continue
        numbers = totals.days[day]
        if keys is not None:
            numbers = {keys[k]: v for k, v in numbers.items() if k in keys}
        days.append((day, numbers))
    return ParsedExport(
        format=spec.name,
        platform=spec.platform,
        date_order=totals.date_order,
        days=tuple(days),
        open_days=tuple(open_days),
        bad_rows=tuple(totals.bad_rows),
        rows_read=rows_read,
        store=totals.store,
    )
