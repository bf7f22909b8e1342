"""Who is calling: the bearer token (401), its rate (429), write rights (403), JSON only (415).

The app's shared parts (sessions, org, clock, limiter) live in ``ApiContext`` on
``app.state.opsbot``; routes reach them through ``api_context``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.api.limits import RateLimiter, is_json
from bot.clock import Clock
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.services import api_tokens
from bot.services.api_tokens import Principal

_UNKNOWN = object()
UNAUTHORIZED = "missing, unknown or revoked API token: send Authorization: Bearer <token>"


@dataclass
class ApiContext:
    sessions: async_sessionmaker[AsyncSession]
    org: OrgConfig
    clock: Clock
    limiter: RateLimiter = field(default_factory=RateLimiter)
    t: Translator = field(default_factory=lambda: Translator("en"))


class ApiError(Exception):
    """An answer other than 2xx, with a JSON body naming the problem."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        details: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.details = details or []

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "details": self.details}


def unauthorized() -> ApiError:
    return ApiError(401, "unauthorized", UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})


def api_context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.opsbot
    return context


bearer = HTTPBearer(auto_error=False, description="a token from `opsbot token create`")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def identify(request: Request) -> Principal | None:
    """The request's principal (read once per request), or None."""
    known = getattr(request.state, "principal", _UNKNOWN)
    if known is None or isinstance(known, Principal):
        return known
    header = request.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    token = presented.strip() if scheme.lower() == "bearer" else ""
    context = api_context(request)
    async with context.sessions() as session:
        principal = await api_tokens.authenticate(session, token or None)
    request.state.principal = principal
    return principal


async def caller(request: Request, _credentials: Credentials) -> Principal:
    """The authenticated caller, counted against its rate."""
    principal = await identify(request)
    if principal is None:
        raise unauthorized()
    wait = api_context(request).limiter.check(principal.token_id)
    if wait is not None:
        raise ApiError(
            429,
            "rate_limited",
            f"over {api_context(request).limiter.rate} requests per second for this token",
            headers={"Retry-After": str(wait)},
        )
    return principal


Caller = Annotated[Principal, Depends(caller)]


async def writer(request: Request, principal: Caller) -> Principal:
    """A caller that may write, sending JSON."""
    if principal.read_only:
        raise ApiError(403, "read_only_token", f"token {principal.name!r} is read-only")
    content_type = request.headers.get("content-type")
    if content_type is not None and not is_json(content_type):
        raise ApiError(
            415,
            "unsupported_media_type",
            f"the body must be JSON (Content-Type: application/json), not {content_type!r}",
        )
    if content_type is None and await request.body():
        raise ApiError(
            415,
            "unsupported_media_type",
            "the body must be JSON: set Content-Type: application/json",
        )
    return principal


Writer = Annotated[Principal, Depends(writer)]
