"""A plan import's preview and a store's plan for a month, as the chat and the command line
show them.

The preview keeps the values it was computed from (``old_*``), so applying it can tell whether
someone changed a plan in between; it round-trips through the form state as plain data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from bot.domain.months import YearMonth
from bot.domain.person_targets import PersonChange
from bot.domain.plan_campaigns import CampaignRow
from bot.domain.records import StoreRef
from bot.org.sections import BaseMetric

Kind = Literal["new", "changed", "unchanged"]
KINDS: tuple[Kind, ...] = ("new", "changed", "unchanged")


@dataclass(frozen=True)
class PlanChange:
    store_id: int
    store: str
    metric: str
    month: str
    new_target: float
    new_weights: dict[str, float]
    old_target: float | None = None
    old_weights: dict[str, float] | None = None

    @property
    def kind(self) -> Kind:
        if self.old_target is None:
            return "new"
        if self.old_target == self.new_target and (self.old_weights or {}) == self.new_weights:
            return "unchanged"
        return "changed"

    def to_data(self) -> dict[str, Any]:
        return {
            "sid": self.store_id,
            "s": self.store,
            "m": self.metric,
            "mo": self.month,
            "t": self.new_target,
            "w": self.new_weights,
            "ot": self.old_target,
            "ow": self.old_weights,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> PlanChange:
        return cls(
            store_id=int(data["sid"]),
            store=str(data["s"]),
            metric=str(data["m"]),
            month=str(data["mo"]),
            new_target=float(data["t"]),
            new_weights={str(k): float(v) for k, v in dict(data["w"]).items()},
            old_target=None if data["ot"] is None else float(data["ot"]),
            old_weights=None
            if data["ow"] is None
            else {str(k): float(v) for k, v in dict(data["ow"]).items()},
        )


@dataclass(frozen=True)
class PlanPreview:
    changes: tuple[PlanChange, ...]
    skipped: int = 0
    people: tuple[PersonChange, ...] = ()  # the people sheet's personal targets
    campaigns: tuple[CampaignRow, ...] = ()  # from the campaigns sheet, written as they are

    def of_kind(self, kind: Kind) -> list[PlanChange]:
        return [c for c in self.changes if c.kind == kind]

    @property
    def counts(self) -> dict[Kind, int]:
        """Store plans and personal targets together."""
        people = [p.kind for p in self.people]
        return {kind: len(self.of_kind(kind)) + people.count(kind) for kind in KINDS}

    @property
    def has_changes(self) -> bool:
        kinds = [c.kind for c in self.changes] + [p.kind for p in self.people]
        return bool(self.campaigns) or any(kind != "unchanged" for kind in kinds)

    @property
    def months(self) -> list[str]:
        return sorted({c.month for c in self.changes} | {p.month for p in self.people})

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "changes": [c.to_data() for c in self.changes],
            "skipped": self.skipped,
        }
        if self.people:
            data["people"] = [p.to_data() for p in self.people]
        if self.campaigns:
            data["campaigns"] = [c.to_data() for c in self.campaigns]
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> PlanPreview:
        changes = tuple(PlanChange.from_data(c) for c in data.get("changes", []))
        people = tuple(PersonChange.from_data(p) for p in data.get("people", []))
        campaigns = tuple(CampaignRow.from_data(c) for c in data.get("campaigns", []))
        return cls(changes, int(data.get("skipped", 0)), people, campaigns)


@dataclass(frozen=True)
class PlanTarget:
    metric: BaseMetric
    target: float | None
    weights: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class StorePlan:
    store: StoreRef
    month: YearMonth
    targets: tuple[PlanTarget, ...]
    changed_at: datetime | None = None
    changed_by: str | None = None

    @property
    def planned(self) -> bool:
        return any(t.target is not None for t in self.targets)

    @property
    def weights(self) -> dict[str, float]:
        """The store-month's day weights (the same for every metric after an import)."""
        return next((t.weights for t in self.targets if t.target is not None), {})
