"""Who has and has not reported a business date, per department (the /status answer)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StatusLine:
    label: str
    reported: bool
    owners: tuple[str, ...] = ()
    source: str | None = None  # where the numbers came from: chat | import | api
    connector: str | None = None  # a connected store: import | api (sources.connected)


@dataclass(frozen=True)
class DepartmentStatus:
    code: str
    name_vi: str
    name_en: str
    per: str
    lines: tuple[StatusLine, ...]

    @property
    def missing(self) -> int:
        return sum(1 for line in self.lines if not line.reported)
