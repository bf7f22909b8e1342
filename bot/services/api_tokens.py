"""HTTP API tokens: create (printed once, only the SHA-256 kept), list, revoke, authenticate;
what a token may reach; and the idempotency records of ``Idempotency-Key``.

A token's scope is ``all``, ``department:CODE`` or ``stores:CODE,CODE``, checked against the
org file when the token is created and resolved against the store catalogue on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.org.schema import OrgConfig
from storage.models import ApiIdempotency, ApiToken, Store
from storage.repositories import api_tokens as repo
from storage.repositories import catalog

TOKEN_PREFIX = "opsbot_"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$")  # "api:<name>" fits a source column
IDEMPOTENCY_TTL = timedelta(hours=24)
ScopeKind = Literal["all", "department", "stores"]


class TokenError(Exception):
    """A token request that cannot be done, explained in one line."""


@dataclass(frozen=True)
class TokenScope:
    kind: ScopeKind
    codes: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return self.kind if self.kind == "all" else f"{self.kind}:{','.join(self.codes)}"


@dataclass(frozen=True)
class Principal:
    """The caller of one request: the token's id, name, scope and whether it may write."""

    token_id: int
    name: str
    scope: TokenScope
    read_only: bool

    @property
    def source(self) -> str:
        return f"api:{self.name}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def parse_scope(text: str) -> TokenScope:
    """Read a scope's text (no org check: see ``check_scope``)."""
    value = text.strip()
    if value.lower() == "all":
        return TokenScope("all")
    kind, _, rest = value.partition(":")
    codes = tuple(dict.fromkeys(c.strip() for c in rest.split(",") if c.strip()))
    if kind.lower() == "department" and len(codes) == 1:
        return TokenScope("department", codes)
    if kind.lower() == "stores" and codes:
        return TokenScope("stores", codes)
    raise TokenError(
        f"scope {text!r} is not one of: all, department:CODE, stores:CODE,CODE"
    )  # fmt: skip


def check_scope(org: OrgConfig, scope: TokenScope) -> TokenScope:
    """The scope with the org file's spelling of its codes; TokenError naming an unknown one."""
    if scope.kind == "department":
        known = {d.code.lower(): d.code for d in org.departments}
    elif scope.kind == "stores":
        known = {s.code.lower(): s.code for s in org.stores}
    else:
        return scope
    unknown = [code for code in scope.codes if code.lower() not in known]
    if unknown:
        choices = ", ".join(sorted(known.values()))
        raise TokenError(f"unknown {scope.kind} code(s) {', '.join(unknown)}; known: {choices}")
    return TokenScope(scope.kind, tuple(known[code.lower()] for code in scope.codes))


async def create_token(
    session: AsyncSession, org: OrgConfig, *, name: str, scope: str, read_only: bool, now: datetime
) -> tuple[ApiToken, str]:
    """A new token: the row and the secret, which is shown once and never stored."""
    if not NAME_RE.match(name):
        raise TokenError(
            "token name: 1-60 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    checked = check_scope(org, parse_scope(scope))
    if await repo.token_by_name(session, name) is not None:
        raise TokenError(f"a token named {name!r} exists already (revoke it or pick another name)")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = await repo.add_token(
        session,
        name=name,
        token_hash=hash_token(secret),
        scope=checked.text,
        read_only=read_only,
        now=now,
    )
    return row, secret


async def list_tokens(session: AsyncSession) -> Sequence[ApiToken]:
    return await repo.list_tokens(session)


async def revoke_token(session: AsyncSession, name: str, now: datetime) -> None:
    if await repo.token_by_name(session, name) is None:
        raise TokenError(f"no token named {name!r}")
    if not await repo.revoke_token(session, name, now):
        raise TokenError(f"token {name!r} is revoked already")


async def authenticate(session: AsyncSession, presented: str | None) -> Principal | None:
    """The principal of a presented token; None for a missing, unknown or revoked one."""
    digest = hash_token(presented or "")
    row = await repo.token_by_hash(session, digest) if presented else None
    stored = row.token_hash if row is not None else hash_token(secrets.token_hex(16))
    matches = hmac.compare_digest(stored.encode(), digest.encode())
    if row is None or not matches or row.revoked_at is not None:
        return None
    return Principal(row.id, row.name, parse_scope(row.scope), row.read_only)


async def stores_in_scope(session: AsyncSession, principal: Principal) -> list[Store]:
    """The active stores the token reaches, ordered by code."""
    scope = principal.scope
    if scope.kind == "all":
        return list(await catalog.list_stores(session))
    if scope.kind == "department":
        department = await catalog.get_department_by_code(session, scope.codes[0])
        if department is None:
            return []
        return list(await catalog.list_stores(session, department_id=department.id))
    found = await catalog.get_stores_by_codes(session, scope.codes)
    return sorted((s for s in found if s.active), key=lambda s: s.code)


# --- Idempotency-Key ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Replay:
    status_code: int
    response: dict[str, Any]


@dataclass(frozen=True)
class KeyConflict:
    """The key was used with another body."""


async def claim_key(
    session: AsyncSession, principal: Principal, key: str, body_sha256: str, now: datetime
) -> Replay | KeyConflict | ApiIdempotency:
    """The first answer for this key (same body), a conflict (other body), or a fresh record to
    fill with ``finish_key`` in the same transaction. Records older than 24 h are forgotten."""
    await repo.purge_idempotency(session, now - IDEMPOTENCY_TTL)  # every token's expired keys
    row = await repo.find_idempotency(session, principal.token_id, key)
    if row is not None and row.created_at <= now - IDEMPOTENCY_TTL:  # exactly at the limit
        await repo.forget_idempotency(session, row.id)
        await session.flush()
        row = None
    if row is None:
        return await repo.claim_idempotency(
            session, token_id=principal.token_id, key=key, body_sha256=body_sha256, now=now
        )
    if not hmac.compare_digest(row.body_sha256, body_sha256):
        return KeyConflict()
    return Replay(row.status_code, dict(row.response))


async def finish_key(
    session: AsyncSession, row: ApiIdempotency, status_code: int, response: dict[str, Any]
) -> None:
    await repo.finish_idempotency(session, row, status_code, response)
