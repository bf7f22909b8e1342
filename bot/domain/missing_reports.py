"""Who owes which report for a business date, and how much of each department reported:
the results of a day's check, as reminders, escalations and coverage texts use them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from bot.domain.discipline import Coverage
from bot.domain.records import ReporterRow, StoreRef


@dataclass(frozen=True)
class MissingReport:
    """One member's missing report(s) for a date: stores for per-store forms, else their own."""

    member: ReporterRow
    form_code: str
    per: Literal["store", "person"]
    stores: tuple[StoreRef, ...] = ()
    streak: int = 1  # working days in a row without a report, this one included (capped)

    @property
    def subject_keys(self) -> tuple[str, ...]:
        if self.per == "person":
            return (f"member:{self.member.id}",)
        return tuple(f"store:{store.id}" for store in self.stores)


@dataclass(frozen=True)
class DepartmentCoverage:
    department_id: int
    code: str
    name_vi: str
    name_en: str
    coverage: Coverage

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_vi


@dataclass(frozen=True)
class DayCheck:
    """Reporting discipline of one business date."""

    business_date: date
    working: bool
    missing: tuple[MissingReport, ...] = ()
    coverage: tuple[DepartmentCoverage, ...] = ()
    department_names: Mapping[int, tuple[str, str]] = field(default_factory=dict)  # (vi, en)

    def missing_by_department(self) -> dict[int, list[MissingReport]]:
        grouped: dict[int, list[MissingReport]] = {}
        for item in self.missing:
            grouped.setdefault(item.member.department_id, []).append(item)
        return grouped

    def department_name(self, department_id: int, locale: str) -> str:
        vi, en = self.department_names.get(department_id, ("?", "?"))
        return en if locale == "en" else vi
