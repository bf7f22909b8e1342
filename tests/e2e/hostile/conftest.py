"""Fixtures of the hostile-input suite (the end-to-end fixtures come from ``tests/e2e``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.hostile import Watch, watching


@pytest.fixture
def watch() -> Iterator[Watch]:
    """Refused Bot API calls and error log lines while the test runs."""
    with watching() as watched:
        yield watched
