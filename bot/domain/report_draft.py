"""A daily report being filled in: the form's cursor plus what the report is about and what
was stored before (a correction is compared against it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar, Self

from bot.domain.form_cursor import FormCursor, new_run_id
from bot.domain.report_subject import Subject


@dataclass(kw_only=True)
class Draft(FormCursor[float]):
    data_key: ClassVar[str] = "draft"

    subject: Subject
    form: str
    day: date
    base_revision: int = 0
    base_values: dict[str, float] = field(default_factory=dict)
    returning: bool = False  # answering one field from the summary, then back to it
    confirmed_outliers: list[str] = field(default_factory=list)
    pending_key: str | None = None  # an unusual value waiting for "keep" or "retype"
    pending_value: float | None = None
    # A person's output tagged to a campaign at the summary (only offered while one runs);
    # ``campaign_set``: the member chose (a campaign or none), so the save writes the tag.
    campaign_id: int | None = None
    campaign_set: bool = False

    @classmethod
    def start(
        cls,
        subject: Subject,
        form: str,
        day: date,
        fields: Sequence[str],
        required: Sequence[str],
        base_revision: int = 0,
        base_values: dict[str, float] | None = None,
    ) -> Draft:
        """A new run; ``base_*`` is what was saved already (a correction starts from it)."""
        base_values = base_values or {}
        return cls(
            rid=new_run_id(),
            subject=subject,
            form=form,
            day=day,
            fields=list(fields),
            required=list(required),
            answers=dict(base_values),
            base_revision=base_revision,
            base_values=dict(base_values),
        )

    def to_json(self) -> dict[str, Any]:
        data = super().to_json()
        data["day"] = self.day.isoformat()
        return data

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Self:
        raw["subject"] = Subject(**raw["subject"])
        raw["day"] = date.fromisoformat(raw["day"])
        return cls(**raw)

    def advance(self) -> str | None:
        if self.returning:  # one field edited from the summary: back to the summary
            self.returning = False
            return None
        return super().advance()

    def answer(self, key: str, value: float) -> None:
        super().answer(key, value)
        self.pending_key = self.pending_value = None

    def is_correction(self) -> bool:
        return self.base_revision > 0

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
