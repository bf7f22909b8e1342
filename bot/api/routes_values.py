"""POST /api/v1/values (push, idempotent with a key) and GET /api/v1/values (read back)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse

from bot.api.auth import ApiError, Caller, Writer, api_context
from bot.api.idempotency import body_digest
from bot.api.models import (
    DayOut,
    ErrorBody,
    ItemErrorOut,
    ItemResultOut,
    StoreValues,
    ValuesRequest,
    ValuesResponse,
)
from bot.domain.ingest import DayValues, ItemResult
from bot.services import api_reads
from bot.services.api_push import PushRequest, push_values

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in {
        401: "missing, unknown or revoked token",
        413: "body over 1 MB",
        422: "malformed request (the path of the field is in details)",
        429: "over 20 requests per second for this token (see Retry-After)",
    }.items()
}
_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    **{
        code: {"model": ErrorBody, "description": text}
        for code, text in {
            403: "the token is read-only",
            409: "Idempotency-Key already used with a different body",
            415: "the body is not JSON",
        }.items()
    },
}

router = APIRouter(prefix="/api/v1", tags=["values"])


def render(results: list[ItemResult]) -> dict[str, Any]:
    out = ValuesResponse(
        results=[
            ItemResultOut(
                store=r.store,
                date=r.day,
                status=r.status,
                revision=r.revision,
                errors=[ItemErrorOut(metric=e.metric, message=e.message) for e in r.errors],
            )
            for r in results
        ]
    )
    return out.model_dump(mode="json")


@router.post(
    "/values",
    response_model=ValuesResponse,
    responses=_WRITE_ERRORS,
    summary="Push daily values",
    description=(
        "Each item is validated exactly like a chat report and written as a revision with "
        "source `api:<token name>`; accepted items are written in one transaction, a rejected "
        "item writes nothing. With `Idempotency-Key`, the same key and body within 24 hours "
        "return the first answer and write nothing."
    ),
)
async def post_values(
    request: Request,
    principal: Writer,
    body: ValuesRequest,
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)
    ] = None,
) -> JSONResponse:
    context = api_context(request)
    items = [DayValues(item.store, item.date, dict(item.values)) for item in body.items]
    push = PushRequest(items, body.source, idempotency_key, body_digest(body))
    outcome = await push_values(
        context.sessions,
        context.org,
        principal,
        push,
        now=context.clock.now(),
        t=context.t,
        render=render,
    )
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=headers)


@router.get(
    "/values",
    response_model=StoreValues,
    responses={**_ERRORS, 404: {"model": ErrorBody, "description": "no such store in scope"}},
    summary="Read current values with their revision numbers",
    description="Each reported day from `from` to `to` (inclusive; none when `from` is later).",
)
async def get_values(
    request: Request,
    principal: Caller,
    store: Annotated[str, Query(min_length=1, max_length=64)],
    from_: Annotated[dt.date, Query(alias="from")],
    to: Annotated[dt.date, Query()],
    metric: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
) -> StoreValues:
    context = api_context(request)
    async with context.sessions() as session:
        found = await api_reads.find_store(session, principal, store)
        if found is None:
            raise ApiError(404, "not_found", f"no store {store!r}")
        rows = await api_reads.store_values(session, found, from_, to, metric)
        code = found.code
    days = [DayOut(date=r.day, form=r.form, revision=r.revision, values=r.values) for r in rows]
    return StoreValues(store=code, from_=from_, to=to, days=days)
