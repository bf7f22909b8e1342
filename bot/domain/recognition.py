"""Who is praised: stores and people at or above the org's share of their pace (110% by
default). Pure; the praise names them in alphabetical order, never ranks the others."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.domain.kpi import SubjectKpi


@dataclass(frozen=True)
class Praise:
    stores: tuple[str, ...]
    people: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.stores and not self.people


def at_or_above(paces: Iterable[tuple[str, float | None]], threshold: float) -> tuple[str, ...]:
    """The names whose pace is known and at least ``threshold``, alphabetically, once each."""
    return tuple(sorted({name for name, pace in paces if pace is not None and pace >= threshold}))


def person_pace(kpi: SubjectKpi) -> float | None:
    """A person's pace over their targeted metrics: the lowest one (praised only when ahead on
    every target); None without a target or a report."""
    paces = [
        m.pacing
        for m in kpi.metrics.values()
        if m.month_target is not None and m.pacing is not None
    ]
    return min(paces) if paces else None


def praise(
    stores: Iterable[tuple[str, float | None]],
    people: Mapping[str, SubjectKpi],
    threshold: float,
) -> Praise:
    return Praise(
        stores=at_or_above(stores, threshold),
        people=at_or_above(((name, person_pace(k)) for name, k in people.items()), threshold),
    )
