"""Constants for the export reader tests (a module with its own name: never shadows a conftest)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

DEMO_ORG = Path(__file__).resolve().parents[2] / "examples" / "demo-org.yaml"
# 2026-12-05 10:00 in Ho Chi Minh City: days up to 2026-12-04 are over.
NOW = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
