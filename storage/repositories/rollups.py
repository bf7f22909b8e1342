"""KPI rollups: monthly sums per subject and metric, daily sums per brand and platform.

They change only with ``daily_values``, in the same transaction: ``apply_changes`` is called by
``reports.save_report``, the one write path of the chat form, file imports and the HTTP API.
Each change adds its difference (new value minus old) with an upsert that PostgreSQL applies
atomically (``total = total + excluded.total``), so concurrent writers never lose a delta.
``rebuild`` recomputes both tables from ``daily_values``. No commits here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    cast,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.revisions import Change
from storage.models import DailyRollup, DailyValue, MonthlyRollup, Store

STORE_PREFIX = "store:"
Group = tuple[int, str]  # (brand id, platform)


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _upsert(session: AsyncSession, model: Any, rows: list[dict[str, Any]], counter: str) -> Any:
    """INSERT the rows as deltas; an existing row gets them added (total and its counter)."""
    statement = (postgres_insert if _dialect(session) == "postgresql" else sqlite_insert)(model)
    statement = statement.values(rows)
    table = model.__table__
    return statement.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={
            "total": table.c.total + statement.excluded.total,
            counter: table.c[counter] + statement.excluded[counter],
        },
    )


async def store_group(session: AsyncSession, subject_key: str) -> Group | None:
    """The (brand, platform) a store subject's values are summed under; None for people."""
    if not subject_key.startswith(STORE_PREFIX):
        return None
    row = (
        await session.execute(
            select(Store.brand_id, Store.platform).where(
                Store.id == int(subject_key[len(STORE_PREFIX) :])
            )
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def apply_changes(
    session: AsyncSession, subject_key: str, business_date: date, changes: Sequence[Change]
) -> None:
    """Add the value changes of one report (old -> new, None: absent) to both rollups."""
    deltas = [
        (c.metric, (c.new or 0.0) - (c.old or 0.0), (c.old is None) - (c.new is None))
        for c in sorted(changes, key=lambda c: c.metric)
        if c.old != c.new
    ]
    if not deltas:
        return
    month = month_of(business_date)
    await session.execute(
        _upsert(
            session,
            MonthlyRollup,
            [
                {"subject_key": subject_key, "month": month, "metric": m, "total": d, "days": n}
                for m, d, n in deltas
            ],
            "days",
        )
    )
    group = await store_group(session, subject_key)
    if group is not None:
        brand_id, platform = group
        rows = [
            {
                "business_date": business_date,
                "metric": m,
                "brand_id": brand_id,
                "platform": platform,
                "total": d,
                "stores": n,
            }
            for m, d, n in deltas
        ]
        await session.execute(_upsert(session, DailyRollup, rows, "stores"))
    removed = [m for m, _, n in deltas if n < 0]
    if removed:
        # A sum of nothing is no row, as in a fresh aggregation.
        await session.execute(
            delete(MonthlyRollup).where(
                MonthlyRollup.subject_key == subject_key,
                MonthlyRollup.month == month,
                MonthlyRollup.metric.in_(removed),
                MonthlyRollup.days <= 0,
            )
        )
        if group is not None:
            await session.execute(
                delete(DailyRollup).where(
                    DailyRollup.business_date == business_date,
                    DailyRollup.metric.in_(removed),
                    DailyRollup.brand_id == group[0],
                    DailyRollup.platform == group[1],
                    DailyRollup.stores <= 0,
                )
            )


# --- recomputing from daily_values ------------------------------------------------------------


def _month_expr(session: AsyncSession) -> ColumnElement[str]:
    if _dialect(session) == "postgresql":
        return func.to_char(DailyValue.business_date, "YYYY-MM")
    return func.strftime("%Y-%m", DailyValue.business_date)


def _store_join() -> ColumnElement[bool]:
    return DailyValue.subject_key == literal(STORE_PREFIX).concat(cast(Store.id, String))


def _group_filter(groups: Sequence[Group]) -> ColumnElement[bool]:
    return or_(*(and_(Store.brand_id == b, Store.platform == p) for b, p in groups))


async def rebuild(session: AsyncSession) -> tuple[int, int]:
    """Recompute both rollups from ``daily_values``; returns (monthly rows, daily rows). On
    PostgreSQL value writes wait until the caller's transaction ends, so none is missed."""
    if _dialect(session) == "postgresql":
        await session.execute(text("LOCK TABLE daily_values IN SHARE MODE"))
    await session.execute(delete(MonthlyRollup))
    await session.execute(delete(DailyRollup))
    month = _month_expr(session)
    monthly = select(
        DailyValue.subject_key, month, DailyValue.metric, func.sum(DailyValue.value), func.count()
    ).group_by(DailyValue.subject_key, month, DailyValue.metric)
    await session.execute(
        insert(MonthlyRollup).from_select(
            ["subject_key", "month", "metric", "total", "days"], monthly
        )
    )
    await _insert_daily(session, None)
    count_monthly = await session.scalar(select(func.count()).select_from(MonthlyRollup))
    count_daily = await session.scalar(select(func.count()).select_from(DailyRollup))
    return int(count_monthly or 0), int(count_daily or 0)


async def rebuild_groups(session: AsyncSession, groups: Sequence[Group]) -> None:
    """Recompute the daily rollups of these (brand, platform) groups: a store moved between
    brands or platforms takes its history along."""
    if not groups:
        return
    await session.execute(
        delete(DailyRollup).where(
            or_(*(and_(DailyRollup.brand_id == b, DailyRollup.platform == p) for b, p in groups))
        )
    )
    await _insert_daily(session, groups)


async def _insert_daily(session: AsyncSession, groups: Sequence[Group] | None) -> None:
    daily = (
        select(
            DailyValue.business_date,
            DailyValue.metric,
            Store.brand_id,
            Store.platform,
            func.sum(DailyValue.value),
            func.count(),
        )
        .join(Store, _store_join())
        .group_by(DailyValue.business_date, DailyValue.metric, Store.brand_id, Store.platform)
    )
    if groups is not None:
        daily = daily.where(_group_filter(groups))
    columns = ["business_date", "metric", "brand_id", "platform", "total", "stores"]
    await session.execute(insert(DailyRollup).from_select(columns, daily))


async def fresh_monthly(session: AsyncSession) -> dict[tuple[str, str, str], tuple[float, int]]:
    """What ``monthly_rollups`` should hold, aggregated from ``daily_values`` now."""
    month = _month_expr(session)
    rows = await session.execute(
        select(
            DailyValue.subject_key,
            month,
            DailyValue.metric,
            func.sum(DailyValue.value),
            func.count(),
        ).group_by(DailyValue.subject_key, month, DailyValue.metric)
    )
    return {(s, m, k): (float(t), int(n)) for s, m, k, t, n in rows.all()}


async def fresh_daily(
    session: AsyncSession,
) -> dict[tuple[date, str, int, str], tuple[float, int]]:
    """What ``daily_rollups`` should hold, aggregated from ``daily_values`` now."""
    rows = await session.execute(
        select(
            DailyValue.business_date,
            DailyValue.metric,
            Store.brand_id,
            Store.platform,
            func.sum(DailyValue.value),
            func.count(),
        )
        .join(Store, _store_join())
        .group_by(DailyValue.business_date, DailyValue.metric, Store.brand_id, Store.platform)
    )
    return {(d, m, b, p): (float(t), int(n)) for d, m, b, p, t, n in rows.all()}


async def stored_monthly(session: AsyncSession) -> dict[tuple[str, str, str], tuple[float, int]]:
    rows = await session.execute(select(MonthlyRollup))
    return {(r.subject_key, r.month, r.metric): (r.total, r.days) for r in rows.scalars().all()}


async def stored_daily(
    session: AsyncSession,
) -> dict[tuple[date, str, int, str], tuple[float, int]]:
    rows = await session.execute(select(DailyRollup))
    return {
        (r.business_date, r.metric, r.brand_id, r.platform): (r.total, r.stores)
        for r in rows.scalars().all()
    }
