"""Revisions of a daily report: what changed between two versions of its values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Change:
    metric: str
    old: float | None
    new: float | None


@dataclass(frozen=True)
class RevisionEntry:
    revision: int
    metric: str
    old: float | None
    new: float | None
    changed_at: datetime
    changed_by: str | None
    source: str  # chat | import:<format> | api:<token name>
    detail: str | None = None  # file imports: "<file name> sha256:<hex>"


def diff_values(old: Mapping[str, float], new: Mapping[str, float | None]) -> list[Change]:
    """The metrics whose value differs, by name. A metric missing from ``new`` keeps its old
    value; None in ``new`` removes it."""
    changes = []
    for metric in sorted(set(old) | set(new)):
        before, after = old.get(metric), new.get(metric, old.get(metric))
        if before != after:
            changes.append(Change(metric, before, after))
    return changes
