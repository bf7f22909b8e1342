"""The HTTP application: ingest and read endpoints, OpenAPI, health, and JSON error bodies.

``build_api`` is the one factory, used by ``opsbot run`` (served by uvicorn on the bot's event
loop, ``bot.api.server``), the tests (in process, over ASGI) and the bench.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

from bot.api import routes_kpi, routes_values
from bot.api.auth import ApiContext, ApiError, identify, unauthorized
from bot.api.limits import MAX_BODY_BYTES, BodyLimit, RateLimiter
from bot.api.models import Health
from bot.api.readiness import Readiness
from bot.api.routes_ops import create_ops_router
from bot.api.routes_webhook import WebhookTarget, create_webhook_router
from bot.clock import Clock
from bot.org.schema import OrgConfig

log = logging.getLogger(__name__)
DESCRIPTION = (
    "Push daily values from automation tools (n8n, Make, Lark flows, scripts) and read values "
    "and KPIs back. Authenticate with `Authorization: Bearer <token>` "
    "(`opsbot token create`). Bodies are JSON, at most 1 MB; at most 20 requests per second "
    "per token."
)


def build_api(
    sessions: async_sessionmaker[AsyncSession],
    org: OrgConfig,
    clock: Clock,
    *,
    limiter: RateLimiter | None = None,
    max_body: int = MAX_BODY_BYTES,
    readiness: Readiness | None = None,
    webhook: WebhookTarget | None = None,
) -> FastAPI:
    app = FastAPI(
        title="opsbot API",
        version="1",
        description=DESCRIPTION,
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.opsbot = ApiContext(sessions, org, clock, limiter or RateLimiter())
    app.add_middleware(BodyLimit, limit=max_body)
    app.include_router(routes_values.router)
    app.include_router(routes_kpi.router)
    if webhook is not None:  # a webhook worker: Telegram's updates arrive here
        app.include_router(
            create_webhook_router(webhook.feed, webhook.secret, draining=webhook.draining)
        )
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _crash)

    if readiness is not None:  # /healthz, /readyz and /metrics of a bot process
        app.include_router(create_ops_router(readiness))
    else:

        @app.get("/healthz", response_model=Health, tags=["health"], summary="Liveness")
        async def healthz() -> Health:
            return Health(status="ok")

    return app


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return _json(exc.status, exc.body(), exc.headers)


def _detail(error: dict[str, Any]) -> dict[str, str]:
    loc = tuple(error.get("loc", ()))
    if error.get("type") == "json_invalid":  # loc is ("body", character position)
        reason = (error.get("ctx") or {}).get("error", "")
        at = loc[1] if len(loc) > 1 else 0
        return {"path": "body", "message": f"not valid JSON at character {at}: {reason}"}
    return {"path": _path(loc), "message": str(error.get("msg", ""))}


def _path(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or "body"


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """422 naming each field; an unauthenticated caller learns nothing but 401."""
    assert isinstance(exc, RequestValidationError)
    if request.url.path.startswith("/api/v1/") and await identify(request) is None:
        return await _api_error(request, unauthorized())
    details = [_detail(e) for e in exc.errors()]
    first = details[0] if details else {"path": "body", "message": "invalid"}
    body = {
        "error": "invalid_request",
        "message": f"{first['path']}: {first['message']}",
        "details": details,
    }
    return _json(422, body)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:  # a body that is not UTF-8 JSON at all: malformed, like bad JSON
        error = {"loc": ("body",), "msg": "not JSON text (UTF-8)"}
        return await _invalid_request(request, RequestValidationError([error]))
    codes = {404: "not_found", 405: "method_not_allowed"}
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    body = {
        "error": codes.get(exc.status_code, "http_error"),
        "message": str(exc.detail),
        "details": [],
    }
    return _json(exc.status_code, body, headers)


def _allowed_methods(request: Request) -> str:
    """Every method the path answers to (Starlette names only the first route that matched)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE and isinstance(route, Route) and route.methods:
            methods |= route.methods - {"HEAD"}
    return ", ".join(sorted(methods))


async def _crash(request: Request, exc: Exception) -> JSONResponse:
    log.exception("api: unhandled error on %s %s", request.method, request.url.path)
    return _json(500, {"error": "internal_error", "message": "internal error", "details": []})
