"""Fixtures for the org file tests: the demo file, edited copies of it, a scratch database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from org_helpers import DEMO_ORG

from storage.database import Database, open_database


@pytest.fixture
def demo_text() -> str:
    return DEMO_ORG.read_text(encoding="utf-8")


@pytest.fixture
def write_org(tmp_path: Path) -> Callable[[str], Path]:
    """Write org file contents to a fresh file and return its path."""
    counter = iter(range(1_000_000))

    def write(text: str) -> Path:
        path = tmp_path / f"org-{next(counter)}.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
async def org_database(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_database("sqlite+aiosqlite:///" + str(tmp_path / "org.db"))
    try:
        yield database
    finally:
        await database.close()
