"""schemathesis (property-based, from PyPI) against the generated OpenAPI document, in process
over ASGI with a valid token: no 5xx, and every response conforms to the document (status
codes, content types, bodies, headers).

The database is prepared once on its own event loop; the app then runs on schemathesis' ASGI
loop with its own engine, so no connection crosses loops.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from api_support import DAY, GOOD_DAY, NOW
from hypothesis import HealthCheck, settings
from support.people import demo_org, sync_demo_org

from bot.api import build_api
from bot.api.limits import RateLimiter
from bot.clock import FrozenClock
from bot.services import api_tokens
from storage.database import open_database
from storage.repositories import catalog, reports

TOKEN: dict[str, str] = {}


async def _prepare(url: str) -> str:
    database = await open_database(url)
    try:
        async with database.session_factory() as session, session.begin():
            org = await sync_demo_org(session)
            _, secret = await api_tokens.create_token(
                session, org, name="schemathesis", scope="all", read_only=False, now=NOW
            )
            found = await catalog.get_store_by_code(session, "HS-SHOPEE")
            assert found is not None
            for offset in range(3):
                await reports.save_report(
                    session, subject_key=f"store:{found.id}", store_id=found.id, member_id=None,
                    form="growth", business_date=DAY - timedelta(days=offset), values=GOOD_DAY,
                    expected_revision=0, actor_id=None, now=NOW, source="chat",
                )  # fmt: skip
    finally:
        await database.close()
    return secret


# Built at import, as schemathesis' parametrisation needs it; nothing connects until a request.
_FOLDER = tempfile.TemporaryDirectory(prefix="opsbot-schema-")
_URL = f"sqlite+aiosqlite:///{Path(_FOLDER.name) / 'api.db'}"
_DATABASE = asyncio.run(open_database(_URL, upgrade=False))
_APP = build_api(
    _DATABASE.session_factory, demo_org(), FrozenClock(NOW), limiter=RateLimiter(rate=10**6)
)
schema = schemathesis.openapi.from_asgi("/api/openapi.json", _APP)


@pytest.fixture(scope="module", autouse=True)
def prepared_database() -> Iterator[None]:
    TOKEN["value"] = asyncio.run(_prepare(_URL))
    yield
    _FOLDER.cleanup()


@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_openapi_document(case: Any) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN['value']}"})
