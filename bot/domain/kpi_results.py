"""What a KPI question answers, as the /kpi, /me and /dept views and the digests show it.

Plain results: the services fill them from a few queries, the views format them. Rows are
typed by their read-only shape (``bot.domain.records``), so nothing here knows the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from bot.domain.kpi import (
    DayPoint,
    KpiQuestion,
    KpiReport,
    SubjectFacts,
    SubjectKpi,
    daily_points,
    evaluate,
)
from bot.domain.punctuality import Punctuality
from bot.domain.records import DepartmentRow, MemberRow, StoreRef

ViewKind = Literal["store", "brand", "all", "dept", "channel"]


@dataclass(frozen=True)
class Target:
    """A resolved /kpi subject: its kind, id (0 for "all"), name and the stores in scope."""

    kind: ViewKind
    id: int
    code: str
    name: str
    stores: tuple[StoreRef, ...]
    parent: tuple[ViewKind, int] | None = None


def evaluate_store_set(
    facts: Sequence[SubjectFacts],
    question: KpiQuestion,
    primary: str,
    daily: Mapping[date, Mapping[str, float]],
    reporters: Mapping[date, int],
) -> tuple[KpiReport, list[DayPoint]]:
    """The engine's report of a store set and the daily points of its primary metric (one
    call, so that a large set can be evaluated in another process)."""
    report = evaluate(facts, question)
    points = daily_points(question, primary, daily, reporters, [f.plans for f in facts])
    return report, points


@dataclass(frozen=True)
class StoreSetKpi:
    """Everything a /kpi view shows for a set of stores, computed from a handful of queries."""

    target: Target
    question: KpiQuestion
    report: KpiReport
    primary: str
    metrics_shown: tuple[str, ...]
    daily_actual: dict[date, float | None]
    daily_plan: dict[date, float | None]
    missing_days: tuple[date, ...]
    heatmap_rows: tuple[tuple[str, tuple[float | None, ...]], ...] = ()
    lower_better: frozenset[str] = field(default_factory=frozenset)


def ranking_value(report: KpiReport, key: str, metric: str) -> float | None:
    """A store's month-to-date attainment for ranking: actual against the plan of the days
    it reported (so a missing report is not read as a bad day)."""
    subject = next((s for s in report.subjects if s.key == key), None)
    return None if subject is None else subject_ranking_value(subject, metric)


def subject_ranking_value(subject: SubjectKpi, metric: str) -> float | None:
    """``ranking_value`` of a subject already in hand (no search through the report: a list of
    500 stores would otherwise search it 500 times)."""
    return subject.metrics[metric].pacing


@dataclass(frozen=True)
class PersonTotals:
    member: MemberRow
    totals: dict[str, float]
    reported: int
    days: int  # days measured: the due ones and those reported early


@dataclass(frozen=True)
class PeopleKpi:
    department: DepartmentRow
    question: KpiQuestion
    metrics: tuple[str, ...]
    people: tuple[PersonTotals, ...]
    targets: Mapping[int, SubjectKpi] = field(default_factory=dict)  # member id: personal targets


@dataclass(frozen=True)
class MeKpi:
    member: MemberRow
    stores: StoreSetKpi | None  # store forms: the stores they report
    own: PersonTotals | None  # person forms: their own output
    metrics: tuple[str, ...]
    punctuality: Punctuality
    targets: SubjectKpi | None = None  # against their personal targets, when they have any
