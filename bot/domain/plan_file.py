"""Reading a plan file (.xlsx or .csv) into plan rows, or a precise list of what is wrong.

Pure: bytes in, rows and problems out. A plan sheet has one row per store, metric and month
(headers in Vietnamese or English: ``cửa hàng``, ``chỉ số``, ``tháng``, ``mục tiêu``); an
optional day-weights sheet (``trọng số``: store, month, day, weight) overrides the org file's
campaign days and paydays. Every problem names its sheet, row and column; the caller shows it
with a valid example. A file with any problem is never partly applied.
"""

from __future__ import annotations

from typing import Literal

from bot.domain.plan_reader import read_sheets
from bot.domain.plan_rows import ParsedPlanFile, PlanFileContext, PlanProblem
from bot.domain.plan_sheets import csv_sheets, xlsx_sheets

MAX_FILE_BYTES = 5 * 1024 * 1024
FileKind = Literal["xlsx", "csv"]


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
    sheets = csv_sheets(content) if kind == "csv" else xlsx_sheets(content)
    if isinstance(sheets, PlanProblem):
        return _failed(sheets)
    return read_sheets(sheets, context)


def _failed(problem: PlanProblem) -> ParsedPlanFile:
    return ParsedPlanFile(problems=(problem,))


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")
