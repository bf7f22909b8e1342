"""`opsbot token create|list|revoke`: the token is printed once, only its SHA-256 is stored,
scopes are checked against the org file, and a revoked token is refused by the API."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from support.people import DEMO_ORG_FILE, demo_org
from typer.testing import CliRunner

from bot.api import build_api
from bot.cli import app
from bot.clock import SystemClock
from storage.database import open_database
from storage.models import ApiToken

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("OPSBOT_ORG", str(DEMO_ORG_FILE))
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    return url


async def stored(url: str) -> list[ApiToken]:
    database = await open_database(url)
    try:
        async with database.session_factory() as session:
            return list((await session.scalars(select(ApiToken).order_by(ApiToken.name))).all())
    finally:
        await database.close()


async def status_with(url: str, token: str) -> int:
    database = await open_database(url)
    try:
        api = build_api(database.session_factory, demo_org(), SystemClock())
        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            answer = await client.get(
                "/api/v1/kpi/HS-SHOPEE", headers={"Authorization": f"Bearer {token}"}
            )
            return answer.status_code
    finally:
        await database.close()


def test_create_prints_the_token_once_and_stores_only_its_hash(env: str) -> None:
    result = runner.invoke(
        app, ["token", "create", "--name", "n8n-shopee", "--scope", "stores:hs-shopee,HS-TIKTOK"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    token = lines[-1]
    assert token.startswith("opsbot_") and len(token) > 40
    assert "stores:HS-SHOPEE,HS-TIKTOK" in lines[0] and "read-write" in lines[0]
    rows = asyncio.run(stored(env))
    assert [(r.name, r.scope, r.read_only, r.revoked_at) for r in rows] == [
        ("n8n-shopee", "stores:HS-SHOPEE,HS-TIKTOK", False, None)
    ]
    assert rows[0].token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert asyncio.run(status_with(env, token)) == 200

    listing = runner.invoke(app, ["token", "list"])
    assert listing.exit_code == 0
    assert "n8n-shopee" in listing.output and "active" in listing.output
    assert token not in listing.output and rows[0].token_hash not in listing.output

    twice = runner.invoke(app, ["token", "create", "--name", "n8n-shopee", "--scope", "all"])
    assert twice.exit_code == 2 and "exists already" in twice.output


def test_revoke_makes_the_api_answer_401(env: str) -> None:
    created = runner.invoke(
        app, ["token", "create", "--name", "bi", "--scope", "all", "--read-only"]
    )
    token = created.output.strip().splitlines()[-1]
    assert "read-only" in created.output
    revoked = runner.invoke(app, ["token", "revoke", "bi"])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert asyncio.run(status_with(env, token)) == 401
    listing = runner.invoke(app, ["token", "list"])
    assert "revoked 20" in listing.output
    again = runner.invoke(app, ["token", "revoke", "bi"])
    assert again.exit_code == 2 and "revoked already" in again.output
    missing = runner.invoke(app, ["token", "revoke", "nobody"])
    assert missing.exit_code == 2 and "no token named" in missing.output


@pytest.mark.parametrize(
    ("scope", "complaint"),
    [
        ("department:nope", "unknown department code(s) nope"),
        ("stores:HS-SHOPEE,XX", "unknown stores code(s) XX"),
        ("everything", "is not one of"),
        ("department:", "is not one of"),
    ],
)
def test_scopes_are_checked_against_the_org(env: str, scope: str, complaint: str) -> None:
    result = runner.invoke(app, ["token", "create", "--name", "x", "--scope", scope])
    assert result.exit_code == 2
    assert complaint in result.output
    assert asyncio.run(stored(env)) == []
