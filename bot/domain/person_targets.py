"""Personal monthly targets: a plan import's change of one, and attainment with the store
formula (``bot.domain.kpi.evaluate`` over one subject, with the month's day weights)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["new", "changed", "unchanged"]


@dataclass(frozen=True)
class PersonChange:
    member_id: int
    member: str  # as the file named them
    metric: str
    month: str  # YYYY-MM
    new_target: float
    new_weights: dict[str, float]
    old_target: float | None = None

    @property
    def kind(self) -> Kind:
        if self.old_target is None:
            return "new"
        return "unchanged" if self.old_target == self.new_target else "changed"

    def to_data(self) -> dict[str, Any]:
        return {
            "mid": self.member_id,
            "n": self.member,
            "m": self.metric,
            "mo": self.month,
            "t": self.new_target,
            "w": self.new_weights,
            "ot": self.old_target,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> PersonChange:
        return cls(
            member_id=int(data["mid"]),
            member=str(data["n"]),
            metric=str(data["m"]),
            month=str(data["mo"]),
            new_target=float(data["t"]),
            new_weights={str(k): float(v) for k, v in dict(data["w"]).items()},
            old_target=None if data["ot"] is None else float(data["ot"]),
        )
