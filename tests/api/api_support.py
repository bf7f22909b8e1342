"""HTTP API test support: the demo org in a fresh database, tokens of every kind, and the API
driven in process over ASGI (SQLite always, PostgreSQL when configured).

The clock stands at 2026-11-21 11:00 in Ho Chi Minh City: the 20th is complete and past its
10:30 deadline, so a push for it is a late report.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support.people import add_person, sync_demo_org

from bot.api import build_api
from bot.api.limits import RateLimiter
from bot.clock import FrozenClock
from bot.org.schema import OrgConfig
from bot.services import api_tokens

SF = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)  # 11:00 in Ho Chi Minh City
DAY = date(2026, 11, 20)
MINH, TUAN = 5001, 5002


class FakeMonotonic:
    """The rate limiter's time: moves ``step`` seconds per request (0: frozen)."""

    def __init__(self, step: float = 0.1) -> None:
        self.value = 1000.0
        self.step = step

    def __call__(self) -> float:
        self.value += self.step
        return self.value


@dataclass
class Api:
    client: httpx.AsyncClient
    tokens: dict[str, str]
    org: OrgConfig
    sessions: SF
    clock: FrozenClock
    time: FakeMonotonic
    headers_for: dict[str, dict[str, str]] = field(default_factory=dict)

    def auth(self, name: str = "n8n") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    async def push(
        self, items: list[dict[str, Any]], token: str = "n8n", **kwargs: Any
    ) -> httpx.Response:
        headers = {**self.auth(token), **kwargs.pop("headers", {})}
        return await self.client.post(
            "/api/v1/values", json={"source": "test-flow", "items": items}, headers=headers
        )


async def make_token(
    sessions: SF, org: OrgConfig, name: str, scope: str, *, read_only: bool = False
) -> str:
    async with sessions() as session, session.begin():
        _, secret = await api_tokens.create_token(
            session, org, name=name, scope=scope, read_only=read_only, now=NOW
        )
    return secret


@pytest.fixture
def api_clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
async def org(session_factory: SF) -> OrgConfig:
    async with session_factory() as session, session.begin():
        org = await sync_demo_org(session)
        await add_person(
            session, MINH, "Minh", "staff", department="growth", stores=["HS-SHOPEE"], now=NOW
        )
        await add_person(session, TUAN, "Tuấn", "manager", department="growth", now=NOW)
    return org


@pytest.fixture
async def api(session_factory: SF, org: OrgConfig, api_clock: FrozenClock) -> AsyncIterator[Api]:
    tokens = {
        "n8n": await make_token(session_factory, org, "n8n", "all"),
        "bi": await make_token(session_factory, org, "bi", "all", read_only=True),
        "hs": await make_token(session_factory, org, "hs", "stores:HS-SHOPEE"),
        "growth": await make_token(session_factory, org, "growth", "department:growth"),
        "old": await make_token(session_factory, org, "old", "all"),
    }
    async with session_factory() as session, session.begin():
        await api_tokens.revoke_token(session, "old", NOW)
    time = FakeMonotonic()
    app = build_api(session_factory, org, api_clock, limiter=RateLimiter(monotonic=time))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        yield Api(client, tokens, org, session_factory, api_clock, time)


def day_item(store: str = "HS-SHOPEE", day: date = DAY, **values: float) -> dict[str, Any]:
    return {"store": store, "date": day.isoformat(), "values": values}


GOOD_DAY: dict[str, float] = {
    "gmv": 12_500_000,
    "nmv": 11_000_000,
    "orders": 85,
    "cancelled": 1,
    "returned": 2,
    "traffic": 3200,
    "ads_cost": 1_000_000,
}
