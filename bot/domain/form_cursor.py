"""Where a conversational form stands: its questions, the answers so far, the one being asked.

Every form (the daily report, the order request, …) keeps one of these in the FSM data, which
lives in our database, so a restart in the middle of a form loses nothing. Pure state
transitions only; the handler saves the cursor after each step. A form subclasses it for what
else it needs (the report's subject and date, the order's type) and names its slot in the data.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Generic, Self, TypeVar

V = TypeVar("V")


def new_run_id() -> str:
    """A fresh id for one run of a form; buttons carry it, so those of older runs go stale."""
    return secrets.token_hex(4)


@dataclass(kw_only=True)
class FormCursor(Generic[V]):
    data_key: ClassVar[str] = "form"  # the form's slot in the FSM data

    rid: str  # this run of the form: buttons of older runs go stale
    fields: list[str]  # in the order they are asked
    required: list[str]
    answers: dict[str, V] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    current: str | None = None  # the question being asked; None at the summary

    def next_field(self) -> str | None:
        """The first field, in form order, neither answered nor skipped."""
        for key in self.fields:
            if key not in self.answers and key not in self.skipped:
                return key
        return None

    def advance(self) -> str | None:
        """Move past the current question: the field to ask next, or None for the summary."""
        return self.next_field()

    def previous_field(self) -> str | None:
        """The question before the current one; from the summary the last one; None before
        the first one."""
        if self.current is None:
            return self.fields[-1] if self.fields else None
        if self.current not in self.fields:
            return None
        index = self.fields.index(self.current)
        return self.fields[index - 1] if index > 0 else None

    def position(self, key: str) -> tuple[int, int]:
        """``key``'s number among the questions, and how many there are (both from 1)."""
        return self.fields.index(key) + 1, len(self.fields)

    def answer(self, key: str, value: V) -> None:
        self.answers[key] = value
        if key in self.skipped:
            self.skipped.remove(key)

    def skip(self, key: str) -> None:
        self.answers.pop(key, None)
        if key not in self.skipped:
            self.skipped.append(key)

    def missing_required(self) -> list[str]:
        return [k for k in self.required if k not in self.answers]

    def to_data(self) -> dict[str, Any]:
        """The FSM data of the form: plain JSON under the form's own key."""
        return {self.data_key: self.to_json()}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Self | None:
        """The cursor kept in ``data``; None when no run of this form is there."""
        raw = data.get(cls.data_key)
        if not isinstance(raw, dict):
            return None
        return cls.from_json(dict(raw))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Self:
        return cls(**raw)
