"""Request and response bodies of the HTTP API; the OpenAPI document is generated from them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

MAX_ITEMS = 1000
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
MetricKey = Annotated[str, Field(min_length=1, max_length=64)]


def _iso_text(value: object) -> object:
    if not isinstance(value, str | dt.date):
        raise ValueError("a date as text, YYYY-MM-DD")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_text)]  # not a number of seconds


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- errors --------------------------------------------------------------------------------------


class ErrorDetail(Strict):
    path: str = Field(description="where in the request, e.g. items.0.date or query.from")
    message: str


class ErrorBody(Strict):
    error: str = Field(description="a stable code: unauthorized, forbidden, not_found, ...")
    message: str = Field(description="what is wrong, in English")
    details: list[ErrorDetail] = Field(default_factory=list)


# --- POST /api/v1/values -------------------------------------------------------------------------


class ValueItem(Strict):
    store: str = Field(min_length=1, max_length=64, description="store code (any case)")
    date: IsoDate = Field(description="business day, YYYY-MM-DD")
    values: dict[MetricKey, Number] = Field(
        min_length=1, max_length=100, description="metric key -> value (only those supplied)"
    )


class ValuesRequest(Strict):
    source: str | None = Field(
        default=None, max_length=100, description="free text naming the pushing flow (kept)"
    )
    items: list[ValueItem] = Field(min_length=1, max_length=MAX_ITEMS)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "source": "n8n-shopee",
                    "items": [
                        {
                            "store": "HS-SHOPEE",
                            "date": "2026-11-30",
                            "values": {"gmv": 12500000, "orders": 85},
                        }
                    ],
                }
            ]
        },
    )


class ItemErrorOut(Strict):
    metric: str | None = Field(description="null: about the whole item (store, date)")
    message: str


class ItemResultOut(Strict):
    store: str
    date: dt.date
    status: Literal["created", "updated", "unchanged", "rejected"]
    revision: int | None = Field(description="the report's revision after the item")
    errors: list[ItemErrorOut]


class ValuesResponse(Strict):
    results: list[ItemResultOut] = Field(description="one per item, in the request's order")


# --- GET /api/v1/values --------------------------------------------------------------------------


class DayOut(Strict):
    date: dt.date
    form: str
    revision: int
    values: dict[str, float]


class StoreValues(Strict):
    store: str
    from_: dt.date = Field(alias="from")
    to: dt.date
    days: list[DayOut]

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# --- GET /api/v1/kpi/{code} ----------------------------------------------------------------------


class MetricOut(Strict):
    actual: float | None
    plan: float | None = Field(description="the plan of the whole period")
    plan_to_date: float | None
    attainment: float | None = Field(description="actual / plan")
    pacing: float | None = Field(description="actual / plan of the days reported")
    forecast: float | None = Field(description="month-end forecast")
    month_target: float | None
    forecast_attainment: float | None = Field(description="forecast / month target")
    required_daily: float | None = Field(description="per remaining day to reach the target")
    previous: float | None
    change: float | None = Field(description="against the previous period")


class KpiOut(Strict):
    kind: Literal["store", "brand"]
    code: str
    name: str
    period: str = Field(description="YYYY-MM, or the week as its first and last day")
    start: dt.date
    end: dt.date
    as_of: dt.date = Field(description="the latest business day the numbers run to")
    started: bool = Field(description="false: the period has not started, no numbers yet")
    reported_days: int
    possible_days: int
    missing_days: list[dt.date]
    primary: str | None = Field(description="the metric the caption leads with")
    headline: list[str] = Field(description="the metrics the caption and tiles show")
    metrics: dict[str, MetricOut]


class Health(Strict):
    status: Literal["ok"]
