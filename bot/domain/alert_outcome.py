"""What pressing an alert's button came to: done, or why not (and who acted first, when)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

OutcomeStatus = Literal[
    "done", "not_found", "acknowledged", "snoozed", "resolved", "has_task", "no_owner"
]


@dataclass(frozen=True)
class Outcome:
    status: OutcomeStatus
    by: str | None = None  # who acted (now, or before)
    at: datetime | None = None
    task_id: int | None = None
