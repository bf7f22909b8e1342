"""GET /api/v1/kpi/{code}: the numbers of the /kpi caption as JSON, for BI tools."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from bot.api.auth import ApiError, Caller, api_context
from bot.api.models import ErrorBody, KpiOut, MetricOut
from bot.domain.kpi import MetricKpi
from bot.services import api_reads

router = APIRouter(prefix="/api/v1", tags=["kpi"])
PERIOD_PATTERN = r"^(month|week|(20\d\d|2100)-(0[1-9]|1[0-2]))$"
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in {
        401: "missing, unknown or revoked token",
        404: "no store or brand with this code in scope",
        422: "malformed request (the path of the field is in details)",
        429: "over 20 requests per second for this token (see Retry-After)",
    }.items()
}


def _clean(value: float | None) -> float | None:
    """Four decimals: plans spread over days add up to 540999999.9999996, not 541000000."""
    return None if value is None else round(value, 4)


def metric_out(kpi: MetricKpi) -> MetricOut:
    forecast_attainment = (
        kpi.forecast / kpi.month_target if kpi.forecast is not None and kpi.month_target else None
    )
    return MetricOut(
        actual=_clean(kpi.actual),
        plan=_clean(kpi.plan),
        plan_to_date=_clean(kpi.plan_to_date),
        attainment=_clean(kpi.attainment),
        pacing=_clean(kpi.pacing),
        forecast=_clean(kpi.forecast),
        month_target=_clean(kpi.month_target),
        forecast_attainment=_clean(forecast_attainment),
        required_daily=_clean(kpi.required_daily),
        previous=_clean(kpi.previous),
        change=_clean(kpi.change),
    )


@router.get(
    "/kpi/{code}",
    response_model=KpiOut,
    responses=_ERRORS,
    summary="KPI of a store or brand (the numbers of the /kpi caption)",
)
async def get_kpi(
    request: Request,
    principal: Caller,
    code: Annotated[str, Path(min_length=1, max_length=64, description="store or brand code")],
    period: Annotated[
        str, Query(pattern=PERIOD_PATTERN, description="month, week or YYYY-MM")
    ] = "month",
) -> KpiOut:
    context = api_context(request)
    async with context.sessions() as session:
        try:
            answer = await api_reads.kpi_of(
                session, context.org, principal, code, period, context.clock.now()
            )
        except ValueError:
            raise ApiError(
                422,
                "invalid_request",
                f"period {period!r} is not month, week or an existing YYYY-MM",
                details=[{"path": "query.period", "message": "not a period"}],
            ) from None
        if answer is None:
            raise ApiError(404, "not_found", f"no store or brand {code!r}")
    target, view, span = answer.target, answer.kpi, answer.period
    if view is None:
        return KpiOut(
            kind="store" if target.kind == "store" else "brand",
            code=target.code,
            name=target.name,
            period=span.label,
            start=span.start,
            end=span.end,
            as_of=answer.today,
            started=False,
            reported_days=0,
            possible_days=0,
            missing_days=[],
            primary=None,
            headline=[],
            metrics={},
        )
    report, question = view.report, view.question
    return KpiOut(
        kind="store" if view.target.kind == "store" else "brand",
        code=view.target.code,
        name=view.target.name,
        period=span.label,
        start=span.start,
        end=span.end,
        as_of=min(question.as_of, span.end),
        started=True,
        reported_days=sum(s.reported for s in report.subjects),
        possible_days=sum(s.elapsed for s in report.subjects),
        missing_days=list(view.missing_days),
        primary=view.primary,
        headline=list(view.metrics_shown),
        metrics={key: metric_out(kpi) for key, kpi in report.metrics.items()},
    )
