"""An order form being filled in, kept in the FSM data (our database) as plain JSON.

Pure state transitions; the handler persists the draft after each step, so a restart in the
middle of the form keeps every answer.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.org.schema import OrderType


@dataclass
class OrderDraft:
    rid: str  # this run of the form: buttons of older runs go stale
    type_code: str
    fields: list[str]
    required: list[str]
    answers: dict[str, Any] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    current: str | None = None

    @classmethod
    def start(cls, order_type: OrderType) -> OrderDraft:
        return cls(
            rid=secrets.token_hex(4),
            type_code=order_type.code,
            fields=[f.key for f in order_type.fields],
            required=[f.key for f in order_type.fields if f.required],
        )

    def to_data(self) -> dict[str, Any]:
        return {"order_draft": asdict(self)}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> OrderDraft | None:
        raw = data.get("order_draft")
        if not isinstance(raw, dict):
            return None
        return cls(**raw)

    def next_field(self) -> str | None:
        for key in self.fields:
            if key not in self.answers and key not in self.skipped:
                return key
        return None

    def previous_field(self) -> str | None:
        if self.current is None:
            return self.fields[-1] if self.fields else None
        index = self.fields.index(self.current)
        return self.fields[index - 1] if index > 0 else None

    def position(self, key: str) -> tuple[int, int]:
        return self.fields.index(key) + 1, len(self.fields)

    def answer(self, key: str, value: Any) -> None:
        self.answers[key] = value
        if key in self.skipped:
            self.skipped.remove(key)

    def skip(self, key: str) -> None:
        self.answers.pop(key, None)
        if key not in self.skipped:
            self.skipped.append(key)

    def missing_required(self) -> list[str]:
        return [k for k in self.required if k not in self.answers]
