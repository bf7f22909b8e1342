"""Numbers that arrive without typing (file imports, the HTTP API): one store's values for
one business day, and what became of them.

Pure data shared by the parsers, the ingest service, the API and the views.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal


@dataclass(frozen=True)
class DayValues:
    """One store's numbers for one business day, from any source."""

    store: str  # store code as given (matched case-insensitively)
    day: date
    values: Mapping[str, float]  # metric key -> value (only the metrics supplied)


ItemStatus = Literal["created", "updated", "unchanged", "rejected"]


@dataclass(frozen=True)
class ItemError:
    metric: str | None  # None: about the whole item (store, date)
    message: str  # already translated (the caller passes a Translator)


@dataclass(frozen=True)
class ValueChange:
    metric: str
    old: float | None  # None: the metric had no value
    new: float
    old_by: str | None  # who entered the old value (member name), None if unknown
    old_source: str | None  # the old value's revision source ("chat", "import:shopee_vn", ...)


@dataclass(frozen=True)
class ItemResult:
    store: str
    day: date
    status: ItemStatus
    revision: int | None  # the report's revision after the item (None: rejected)
    errors: tuple[ItemError, ...] = ()
    changes: tuple[ValueChange, ...] = ()  # new and changed values (old None = new)
    unchanged: tuple[str, ...] = ()  # metrics supplied with the value already stored
