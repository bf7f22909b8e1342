"""Stores whose numbers arrive by themselves (the org file's ``sources.connected``).

```yaml
sources:
  connected:
    - stores: [HS-SHOPEE, HS-TIKTOK]
      source: import          # someone drops the platform's export into the chat
      expected_by: "09:30"    # default: the report deadline
    - stores: [TTSG-POS]
      source: api             # a flow pushes to POST /api/v1/values
```

A connected store is still a store its owner answers for: when its numbers have not arrived,
the reminder says that the automatic data is missing (rather than asking for a report), and
``missing_data`` alerts name the source. The store codes are checked against ``stores`` with
the other references (``bot.org.references``).
"""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from bot.org.fields import ClockTime, Code, Strict

if TYPE_CHECKING:
    from bot.org.schema import OrgConfig

ConnectorKind = Literal["import", "api"]


class Connected(Strict):
    """Stores whose data arrive from ``source`` by ``expected_by`` (HH:MM, org timezone)."""

    stores: tuple[Code, ...] = Field(min_length=1, description="store codes")
    source: ConnectorKind = Field(description="import: exported files; api: the HTTP API")
    expected_by: ClockTime | None = Field(
        default=None, description="when the data is expected by; default: the report deadline"
    )

    def expected_time(self, deadline: time) -> time:
        """``expected_by``, or the report ``deadline`` when the file does not say."""
        return self.expected_by or deadline


ConnectedStores = tuple[Connected, ...]


def connected_source(org: OrgConfig, store_code: str) -> Connected | None:
    """The ``sources.connected`` entry naming ``store_code`` (None: its numbers are typed)."""
    for entry in org.sources.connected:
        if store_code in entry.stores:
            return entry
    return None


def connected_stores(org: OrgConfig) -> dict[str, tuple[ConnectorKind, time]]:
    """store code -> (source, the time its data is expected by) for every connected store."""
    found: dict[str, tuple[ConnectorKind, time]] = {}
    for entry in org.sources.connected:
        for code in entry.stores:
            found.setdefault(code, (entry.source, entry.expected_time(org.report.deadline)))
    return found
