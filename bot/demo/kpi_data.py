"""Generated KPI history for the demo and tests: daily reports written through the reports
repository (with revisions, like a real report) and monthly plans through the plans repository.

Numbers are realistic for a Vietnamese marketplace store: GMV of a few to tens of millions of
đồng a day, AOV around 150k, conversion 2-4%, ROAS 5-12, and a few days without a report.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.periods import month_key
from storage.repositories import plans, reports


async def write_report(
    session: AsyncSession,
    *,
    subject_key: str,
    form: str,
    day: date,
    values: Mapping[str, float],
    sent_at: datetime,
    store_id: int | None = None,
    member_id: int | None = None,
    actor_id: int | None = None,
) -> None:
    """A first report of ``day`` as if sent at ``sent_at`` (its ``created_at``)."""
    await reports.save_report(
        session,
        subject_key=subject_key,
        store_id=store_id,
        member_id=member_id,
        form=form,
        business_date=day,
        values=dict(values),
        expected_revision=0,
        actor_id=actor_id,
        now=sent_at,
        source="import",
    )


async def write_plan(
    session: AsyncSession,
    *,
    store_id: int,
    year: int,
    month: int,
    targets: Mapping[str, float],
    weights: Mapping[str, float] | None = None,
    now: datetime,
) -> None:
    for metric, target in targets.items():
        await plans.add_plan(
            session,
            store_id=store_id,
            metric=metric,
            month=month_key(year, month),
            target=target,
            day_weights=dict(weights or {}),
            by=None,
            now=now,
        )


def store_day(rng: random.Random, daily_gmv: float, weight: float = 1.0) -> dict[str, float]:
    """One day of a growth store report, consistent with the org file's cross checks and
    steady enough not to look like an anomaly (orders never drop 40% from one day to the next)."""
    gmv = round(daily_gmv * weight * rng.uniform(0.85, 1.15), -3)
    orders = max(1, round(gmv / rng.uniform(140_000, 160_000)))
    traffic = round(orders / rng.uniform(0.02, 0.04))
    cancelled = round(orders * rng.uniform(0.01, 0.06))
    returned = round(orders * rng.uniform(0.0, 0.03))
    ads_cost = round(gmv / rng.uniform(6, 12), -3)
    return {
        "gmv": gmv,
        "nmv": round(gmv * rng.uniform(0.85, 0.95), -3),
        "orders": orders,
        "cancelled": cancelled,
        "returned": min(returned, orders - cancelled),
        "traffic": traffic,
        "ads_cost": ads_cost,
    }


def sent_time(day: date, rng: random.Random, tz: tzinfo, *, late: bool) -> datetime:
    """When the report of ``day`` was sent: the next morning, before or after 10:30."""
    local = time(11, rng.randint(0, 59)) if late else time(8, rng.randint(0, 59))
    return datetime.combine(day + timedelta(days=1), local, tzinfo=tz).astimezone(UTC)


def days_between(start: date, end: date) -> Iterable[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)
