"""What a daily report is about: a store (store forms) or a member (person forms)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Subject:
    key: str  # "store:<id>" or "member:<id>"
    label: str
    store_id: int | None = None
    member_id: int | None = None
    store_code: str | None = None
