"""Operations endpoints: liveness, readiness (for the proxy and the orchestrator) and the
Prometheus metrics of this process."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from bot.api.readiness import Readiness
from bot.metrics import CONTENT_TYPE

log = logging.getLogger(__name__)


def create_ops_router(readiness: Readiness) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @router.get("/readyz", summary="Readiness: database reachable, schema at head, not draining")
    async def readyz() -> JSONResponse:
        ready, reason = await readiness.check()
        if ready:
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)

    @router.get("/metrics", summary="Prometheus metrics of this process")
    async def metrics() -> Response:
        # The database read happens here, on the event loop, not in a collector that
        # generate_latest would call synchronously.
        try:
            await readiness.refresh_metrics()
        except Exception:
            log.warning("metrics: outbox depth not refreshed", exc_info=True)
        return Response(readiness.metrics.render(), media_type=CONTENT_TYPE)

    return router
