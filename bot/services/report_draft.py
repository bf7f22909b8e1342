"""A report being filled in: kept in the FSM data as plain JSON, so it survives restarts.

Pure state transitions only; the handler persists the draft after each step.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from bot.services.reporting import Subject


@dataclass
class Draft:
    rid: str  # identifies this run of the form, so buttons of older runs go stale
    subject: Subject
    form: str
    day: date
    fields: list[str]  # metric keys in form order
    required: list[str]
    answers: dict[str, float] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    current: str | None = None
    base_revision: int = 0
    base_values: dict[str, float] = field(default_factory=dict)
    returning: bool = False  # answering one field from the summary, then back to it
    confirmed_outliers: list[str] = field(default_factory=list)
    pending_key: str | None = None
    pending_value: float | None = None

    @classmethod
    def start(
        cls,
        subject: Subject,
        form: str,
        day: date,
        fields: Sequence[str],
        required: Sequence[str],
        base_revision: int,
        base_values: dict[str, float],
    ) -> Draft:
        return cls(
            rid=secrets.token_hex(4),
            subject=subject,
            form=form,
            day=day,
            fields=list(fields),
            required=list(required),
            answers=dict(base_values),
            base_revision=base_revision,
            base_values=dict(base_values),
        )

    def to_data(self) -> dict[str, Any]:
        data = asdict(self)
        data["day"] = self.day.isoformat()
        return {"draft": data}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Draft | None:
        raw = data.get("draft")
        if not isinstance(raw, dict):
            return None
        raw = dict(raw)
        raw["subject"] = Subject(**raw["subject"])
        raw["day"] = date.fromisoformat(raw["day"])
        return cls(**raw)

    def is_correction(self) -> bool:
        return self.base_revision > 0

    def next_field(self) -> str | None:
        """The first field, in form order, neither answered nor skipped."""
        for key in self.fields:
            if key not in self.answers and key not in self.skipped:
                return key
        return None

    def previous_field(self) -> str | None:
        if self.current is None or self.current not in self.fields:
            return None
        index = self.fields.index(self.current)
        return self.fields[index - 1] if index > 0 else None

    def position(self, key: str) -> tuple[int, int]:
        return self.fields.index(key) + 1, len(self.fields)

    def answer(self, key: str, value: float) -> None:
        self.answers[key] = value
        if key in self.skipped:
            self.skipped.remove(key)
        self.pending_key = self.pending_value = None

    def skip(self, key: str) -> None:
        self.answers.pop(key, None)
        if key not in self.skipped:
            self.skipped.append(key)

    def missing_required(self) -> list[str]:
        return [k for k in self.required if k not in self.answers]

    def values_to_save(self) -> dict[str, float | None]:
        """Answers, plus None for previously stored values the member now skipped."""
        values: dict[str, float | None] = dict(self.answers)
        for key in self.skipped:
            if key in self.base_values:
                values[key] = None
        return values

    def rebase(self, revision: int, stored: dict[str, float]) -> None:
        """Someone else saved meanwhile: compare against their version from now on."""
        self.base_revision = revision
        self.base_values = dict(stored)
