"""An order export sent in chat, between reading it and Confirm: the parsed day values and
what the member was shown.

``UploadDraft`` is the upload's form cursor (no questions: a store pick, then a confirm-only
summary); it lives in the FSM data, in our database, so a restart in the middle of a preview
loses nothing. ``UploadPreview`` is what the preview shows: per day and metric new, changed
(old → new, who had entered the old value) or unchanged, the refused days, the days left out,
the rows that could not be read. Pure data, JSON-friendly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from bot.domain.form_cursor import FormCursor, new_run_id
from bot.domain.ingest import DayValues, ItemResult

MAX_BAD_ROWS_KEPT = 10  # the preview lists the first ten rows that could not be read


@dataclass(frozen=True)
class ParsedFile:
    """What the reader found in an export, in the shape the draft keeps."""

    file_name: str
    sha256: str
    format: str  # "shopee_vn", "shopee_en", "tiktok" or a declared format's name
    platform: str
    date_order: str | None  # "day_first" | "month_first" | None (dates were not text)
    days: tuple[tuple[date, dict[str, float]], ...]
    open_days: tuple[date, ...]  # not over yet: left out
    bad_rows: tuple[tuple[int, str], ...]  # (row number, reason code), first ones only
    bad_count: int
    rows_read: int
    store: str | None  # the store the file names (declared daily totals), if any

    @property
    def source(self) -> str:
        return f"import:{self.format}"

    @property
    def detail(self) -> str:
        return f"{self.file_name} sha256:{self.sha256}"


@dataclass(kw_only=True)
class UploadDraft(FormCursor[Any]):
    data_key: ClassVar[str] = "ingest_upload"

    file_name: str
    sha256: str
    format: str
    platform: str
    date_order: str | None = None
    days: list[list[Any]] = field(default_factory=list)  # [["2026-11-20", {"gmv": 1.0}], …]
    open_days: list[str] = field(default_factory=list)
    bad_rows: list[list[Any]] = field(default_factory=list)  # [[row, reason], …]
    bad_count: int = 0
    rows_read: int = 0
    named_store: str | None = None  # the store the file names
    store: str | None = None  # the store chosen (code)
    choices: list[int] = field(default_factory=list)  # store ids offered at the pick step
    digest: str = ""  # of the preview shown: Confirm writes only what was shown

    @classmethod
    def start(cls, parsed: ParsedFile) -> UploadDraft:
        return cls(
            rid=new_run_id(),
            fields=[],
            required=[],
            file_name=parsed.file_name,
            sha256=parsed.sha256,
            format=parsed.format,
            platform=parsed.platform,
            date_order=parsed.date_order,
            days=[[day.isoformat(), dict(values)] for day, values in parsed.days],
            open_days=[day.isoformat() for day in parsed.open_days],
            bad_rows=[[row, reason] for row, reason in parsed.bad_rows[:MAX_BAD_ROWS_KEPT]],
            bad_count=parsed.bad_count,
            rows_read=parsed.rows_read,
            named_store=parsed.store,
        )

    def parsed(self) -> ParsedFile:
        return ParsedFile(
            file_name=self.file_name,
            sha256=self.sha256,
            format=self.format,
            platform=self.platform,
            date_order=self.date_order,
            days=tuple(
                (date.fromisoformat(str(day)), {str(k): float(v) for k, v in values.items()})
                for day, values in self.days
            ),
            open_days=tuple(date.fromisoformat(day) for day in self.open_days),
            bad_rows=tuple((int(row), str(reason)) for row, reason in self.bad_rows),
            bad_count=self.bad_count,
            rows_read=self.rows_read,
            store=self.named_store,
        )


def day_items(parsed: ParsedFile, store: str) -> list[DayValues]:
    """The file's days as items for ``store``."""
    return [DayValues(store, day, values) for day, values in parsed.days if values]


@dataclass(frozen=True)
class UploadPreview:
    parsed: ParsedFile
    store: str
    results: tuple[ItemResult, ...]

    @property
    def written(self) -> tuple[ItemResult, ...]:
        return tuple(r for r in self.results if r.status in ("created", "updated"))

    @property
    def rejected(self) -> tuple[ItemResult, ...]:
        return tuple(r for r in self.results if r.status == "rejected")

    @property
    def has_changes(self) -> bool:
        return bool(self.written)

    @property
    def counts(self) -> dict[str, int]:
        """Values (day × metric): new, changed, unchanged; and days refused."""
        accepted = [r for r in self.results if r.status != "rejected"]
        changes = [c for r in accepted for c in r.changes]
        return {
            "new": sum(1 for c in changes if c.old is None),
            "changed": sum(1 for c in changes if c.old is not None),
            "same": sum(len(r.unchanged) for r in accepted),
            "days": len(self.written),
            "refused": len(self.rejected),
        }

    @property
    def digest(self) -> str:
        return results_digest(self.results)


def results_digest(results: Iterable[ItemResult]) -> str:
    """A fingerprint of what a preview showed (statuses, old and new values), so Confirm can
    tell that the stored numbers moved in between."""
    parts: list[str] = []
    for result in results:
        changes: Sequence[str] = [f"{c.metric}={c.old!r}>{c.new!r}" for c in result.changes]
        parts.append(
            f"{result.store.casefold()}|{result.day}|{result.status}|"
            + ",".join(sorted(changes))
            + "|"
            + ",".join(sorted(result.unchanged))
        )
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:16]
