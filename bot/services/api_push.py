"""A push of values through the HTTP API: the items checked and written like a chat report
(``bot.services.ingest``) in one transaction, under the token's scope, with its
``Idempotency-Key`` record in the same transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.domain.ingest import DayValues, ItemResult
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.services import api_tokens
from bot.services.api_tokens import KeyConflict, Principal, Replay
from bot.services.ingest import IngestScope, apply_items

log = logging.getLogger(__name__)
Render = Callable[[list[ItemResult]], dict[str, Any]]


@dataclass(frozen=True)
class PushOutcome:
    status_code: int  # 200, or 409 for a key reused with another body
    body: dict[str, Any]
    replayed: bool = False


async def ingest_scope(session: AsyncSession, principal: Principal) -> IngestScope:
    """Tokens may write any past day; their stores are the scope's (all: every active one)."""
    if principal.scope.kind == "all":
        return IngestScope(None, None)
    stores = await api_tokens.stores_in_scope(session, principal)
    return IngestScope(frozenset(s.id for s in stores), None)


@dataclass(frozen=True)
class PushRequest:
    items: Sequence[DayValues]
    detail: str | None  # the body's "source": which flow pushed
    key: str | None  # Idempotency-Key
    body_sha256: str


async def push_values(
    sessions: async_sessionmaker[AsyncSession],
    org: OrgConfig,
    principal: Principal,
    request: PushRequest,
    *,
    now: datetime,
    t: Translator,
    render: Render,
) -> PushOutcome:
    for attempt in (1, 2):
        try:
            return await _push_once(sessions, org, principal, request, now, t, render)
        except IntegrityError:
            # Another request claimed the same key at the same moment: its answer is stored now.
            if request.key is None or attempt == 2:
                raise
            log.info("api: idempotency key raced token=%s", principal.name)
    raise AssertionError("unreachable")


async def _push_once(
    sessions: async_sessionmaker[AsyncSession],
    org: OrgConfig,
    principal: Principal,
    request: PushRequest,
    now: datetime,
    t: Translator,
    render: Render,
) -> PushOutcome:
    async with sessions() as session, session.begin():
        claim = None
        if request.key is not None:
            found = await api_tokens.claim_key(
                session, principal, request.key, request.body_sha256, now
            )
            if isinstance(found, Replay):
                return PushOutcome(found.status_code, found.response, replayed=True)
            if isinstance(found, KeyConflict):
                return PushOutcome(409, _conflict())
            claim = found
        scope = await ingest_scope(session, principal)
        results = await apply_items(
            session,
            org,
            request.items,
            scope,
            source=principal.source,
            detail=request.detail,
            actor_id=None,
            now=now,
            t=t,
        )
        body = render(results)
        if claim is not None:
            await api_tokens.finish_key(session, claim, 200, body)
        return PushOutcome(200, body)


def _conflict() -> dict[str, Any]:
    return {
        "error": "idempotency_key_reused",
        "message": "this Idempotency-Key was used with a different body in the last 24 hours",
        "details": [],
    }
