"""Helpers for the org file tests (a module with its own name, so it never shadows a conftest)."""

from __future__ import annotations

from pathlib import Path

DEMO_ORG = Path(__file__).resolve().parents[2] / "examples" / "demo-org.yaml"


def line_number(text: str, fragment: str) -> int:
    """1-based line of the only line containing ``fragment``."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if fragment in line]
    assert len(hits) == 1, f"{fragment!r} found on lines {hits}"
    return hits[0]


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)
