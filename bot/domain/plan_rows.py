"""What a plan file reads into (plan rows, day weights, problems), and what it may name.

Shared by the readers of ``bot.domain.plan_file``; pure values only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.domain.months import YearMonth
from bot.org.fields import Unit

if TYPE_CHECKING:
    from bot.domain.plan_campaigns import CampaignRow


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
    # The people sheet: members in scope by folded "@username", "username" or Telegram id, and
    # the metrics a person may have a target for.
    members: Mapping[str, int] = field(default_factory=dict)
    person_metrics: Mapping[str, PlanMetricSpec] = field(default_factory=dict)


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
class PersonRow:
    """A personal monthly target of the people sheet."""

    member_id: int
    member: str  # as written in the file
    metric: str
    month: YearMonth
    target: float
    sheet: str | None
    row: int


@dataclass(frozen=True)
class ParsedPlanFile:
    rows: tuple[PlanFileRow, ...] = ()
    weights: tuple[WeightRow, ...] = ()
    people: tuple[PersonRow, ...] = ()
    skipped: int = 0  # rows left without a target (nothing to change)
    problems: tuple[PlanProblem, ...] = ()
    campaigns: tuple[CampaignRow, ...] = ()  # the optional campaigns sheet

    @property
    def ok(self) -> bool:
        return not self.problems
