"""Fixtures for the export reader tests: the demo org (optionally with ``sources.formats``)
and a clock after the exported days."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from marketplace_helpers import DEMO_ORG

from bot.org.import_formats import ImportFormats
from bot.org.loader import load_org
from bot.org.schema import OrgConfig
from bot.org.sources import Sources


@pytest.fixture(scope="session")
def org() -> OrgConfig:
    return load_org(DEMO_ORG)


@pytest.fixture
def org_with(org: OrgConfig) -> Callable[[dict[str, Any]], OrgConfig]:
    """The demo org with ``sources.formats`` replaced by the given (validated) mapping."""

    def build(formats: dict[str, Any]) -> OrgConfig:
        sources = Sources(formats=ImportFormats.model_validate(formats))
        return org.model_copy(update={"sources": sources})

    return build
