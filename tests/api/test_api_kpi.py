"""GET /api/v1/kpi/{code}: the numbers of the /kpi caption (actual, plan, attainment, pacing,
forecast, missing days) equal what the kpi service computes for the same store or brand."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from api_support import NOW, Api
from sqlalchemy import select

from bot.domain.periods import month_period, week_period
from bot.services import kpi as kpi_service
from bot.services.scope import everything_scope
from storage.models import Store
from storage.repositories import plans, reports

NOVEMBER = month_period(2026, 11)


async def seed(api: Api) -> None:
    """HS-SHOPEE and HS-TIKTOK report most days of November with a plan; a few days missing."""
    async with api.sessions() as session, session.begin():
        stores = {s.code: s for s in (await session.scalars(select(Store))).all()}
        for code, target in (("HS-SHOPEE", 300_000_000), ("HS-TIKTOK", 150_000_000)):
            store = stores[code]
            await plans.add_plan(
                session, store_id=store.id, metric="gmv", month="2026-11", target=target,
                day_weights={}, now=NOW, by=None,
            )  # fmt: skip
            for offset in range(20):
                day = date(2026, 11, 1) + timedelta(days=offset)
                if code == "HS-TIKTOK" and day.day in (5, 6, 18):
                    continue
                values = {"gmv": 8_000_000 + 100_000 * offset, "orders": 50 + offset}
                await reports.save_report(
                    session, subject_key=f"store:{store.id}", store_id=store.id, member_id=None,
                    form="growth", business_date=day, values=values, expected_revision=0,
                    actor_id=None, now=NOW, source="chat",
                )  # fmt: skip


def four_decimals(value: float | None) -> float | None:
    """The API rounds to four decimals (no 540999999.9999996 for a plan of 541,000,000)."""
    return None if value is None else round(value, 4)


async def expected(api: Api, code: str, kind: str, period_code: str) -> dict[str, object]:
    today = kpi_service.as_of(api.org, NOW)
    period = {"month": NOVEMBER, "week": week_period(today)}[period_code]
    async with api.sessions() as session:
        scope = await everything_scope(session)
        if kind == "store":
            store = next(s for s in scope.stores if s.code == code)
            target = kpi_service.store_target(scope, store.id)
        else:
            brand = next(b for b in kpi_service.brands_in_scope(scope) if b.code == code)
            target = kpi_service.brand_target(scope, brand.id)
        assert target is not None
        view = await kpi_service.store_set_kpi(session, api.org, target, period, today, now=NOW)
    primary = view.report.metrics[view.primary]
    return {
        "primary": view.primary,
        "actual": four_decimals(primary.actual),
        "plan": four_decimals(primary.plan),
        "attainment": four_decimals(primary.attainment),
        "pacing": four_decimals(primary.pacing),
        "forecast": four_decimals(primary.forecast),
        "missing_days": [d.isoformat() for d in view.missing_days],
        "reported": sum(s.reported for s in view.report.subjects),
        "possible": sum(s.elapsed for s in view.report.subjects),
        "headline": list(view.metrics_shown),
    }


@pytest.mark.parametrize(
    ("code", "kind", "period"),
    [("HS-TIKTOK", "store", "month"), ("HS", "brand", "month"), ("hs-shopee", "store", "week")],
)
async def test_kpi_json_is_what_the_kpi_caption_computes(
    api: Api, code: str, kind: str, period: str
) -> None:
    await seed(api)
    answer = await api.client.get(
        f"/api/v1/kpi/{code}", params={"period": period}, headers=api.auth("bi")
    )
    assert answer.status_code == 200, answer.text
    got = answer.json()
    want = await expected(api, code.upper(), kind, period)
    primary = got["metrics"][got["primary"]]
    assert {
        "primary": got["primary"],
        "actual": primary["actual"],
        "plan": primary["plan"],
        "attainment": primary["attainment"],
        "pacing": primary["pacing"],
        "forecast": primary["forecast"],
        "missing_days": got["missing_days"],
        "reported": got["reported_days"],
        "possible": got["possible_days"],
        "headline": got["headline"],
    } == want
    assert got["kind"] == kind and got["code"] == code.upper() and got["started"] is True
    if period == "month":
        assert got["period"] == "2026-11" and got["as_of"] == "2026-11-20"
        assert primary["actual"] > 0 and primary["plan"] > 0 and primary["forecast"] > 0
    if code == "HS-TIKTOK":
        assert got["missing_days"] == ["2026-11-05", "2026-11-06", "2026-11-18"]


async def test_a_future_month_has_no_numbers_and_an_unknown_code_is_404(api: Api) -> None:
    future = await api.client.get(
        "/api/v1/kpi/HS-SHOPEE", params={"period": "2027-01"}, headers=api.auth()
    )
    assert future.status_code == 200
    assert future.json()["started"] is False and future.json()["metrics"] == {}
    missing = await api.client.get("/api/v1/kpi/NOPE", headers=api.auth())
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    bad_month = await api.client.get(
        "/api/v1/kpi/HS-SHOPEE", params={"period": "2026-13"}, headers=api.auth()
    )
    assert bad_month.status_code == 422
