"""KPI rollups: monthly sums per subject and metric, daily sums per brand and platform.

They change only with ``daily_values``, in the same transaction: ``apply_changes`` is called by
``reports.save_report``, the one write path of the chat form, file imports and the HTTP API.
Each change adds its difference (new value minus old) with an upsert that PostgreSQL applies
atomically (``total = total + excluded.total``), so concurrent writers never lose a delta.
``rebuild`` recomputes both tables from ``daily_values``. No commits here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
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
from storage.repositories.sql import is_postgres

STORE_PREFIX = "store:"
Group = tuple[int, str]  # (brand id, platform)


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _upsert(session: AsyncSession, model: Any, rows: list[dict[str, Any]], counter: str) -> Any:
    """INSERT the rows as deltas; an existing row gets them added (total and its counter)."""
    statement = (postgres_insert if is_postgres(session) else sqlite_insert)(model)
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
    """Add the value changes of one report (old -> new, None: absent) to both rollups (inside
    ``batched``: at the end of the batch)."""
    deltas = [
        (c.metric, (c.new or 0.0) - (c.old or 0.0), (c.old is None) - (c.new is None))
        for c in changes
        if c.old != c.new
    ]
    if not deltas:
        return
    batch: _Deltas | None = session.info.get(_BATCH)
    pending = batch if batch is not None else _Deltas()
    month = month_of(business_date)
    group = await pending.group(session, subject_key)
    for metric, total, count in deltas:
        pending.monthly.add((subject_key, month, metric), total, count)
        if group is not None:
            pending.daily.add((business_date, metric, *group), total, count)
    if batch is None:
        await _write(session, pending)


@asynccontextmanager
async def batched(session: AsyncSession) -> AsyncIterator[None]:
    """Sum the rollup changes of many reports and write them at the end, each rollup's rows in
    one statement in key order: two imports over the same brands and days then lock those rows
    in the same order and cannot deadlock (row by row, one could take day 1 then day 2 while
    the other took day 2 then day 1). An exception leaves the transaction to be rolled back."""
    if _BATCH in session.info:  # already inside a batch
        yield
        return
    session.info[_BATCH] = _Deltas()
    try:
        yield
        pending: _Deltas = session.info.pop(_BATCH)
        await _write(session, pending)
    finally:
        session.info.pop(_BATCH, None)


_BATCH = "opsbot_rollup_batch"


class _Sums(dict[tuple[Any, ...], list[float]]):
    """Per rollup row: [total change, count change]."""

    def add(self, key: tuple[Any, ...], total: float, count: int) -> None:
        sums = self.setdefault(key, [0.0, 0])
        sums[0] += total
        sums[1] += count

    def changed(self) -> list[tuple[tuple[Any, ...], list[float]]]:
        """Rows that change, in key order (the order their locks are taken in)."""
        return sorted((k, v) for k, v in self.items() if v != [0.0, 0])


@dataclass
class _Deltas:
    monthly: _Sums = field(default_factory=_Sums)  # (subject key, month, metric)
    daily: _Sums = field(default_factory=_Sums)  # (day, metric, brand id, platform)
    groups: dict[str, Group | None] = field(default_factory=dict)

    async def group(self, session: AsyncSession, subject_key: str) -> Group | None:
        if subject_key not in self.groups:
            self.groups[subject_key] = await store_group(session, subject_key)
        return self.groups[subject_key]


async def _write(session: AsyncSession, deltas: _Deltas) -> None:
    monthly, daily = deltas.monthly.changed(), deltas.daily.changed()
    if monthly:
        rows = [
            {"subject_key": s, "month": m, "metric": k, "total": t, "days": n}
            for (s, m, k), (t, n) in monthly
        ]
        await session.execute(_upsert(session, MonthlyRollup, rows, "days"))
    if daily:
        rows = [
            {"business_date": d, "metric": k, "brand_id": b, "platform": p, "total": t, "stores": n}
            for (d, k, b, p), (t, n) in daily
        ]
        await session.execute(_upsert(session, DailyRollup, rows, "stores"))
    # A sum of nothing is no row, as in a fresh aggregation.
    for subject, month, metric in (key for key, (_, n) in monthly if n < 0):
        await session.execute(
            delete(MonthlyRollup).where(
                MonthlyRollup.subject_key == subject,
                MonthlyRollup.month == month,
                MonthlyRollup.metric == metric,
                MonthlyRollup.days <= 0,
            )
        )
    for day, metric, brand, platform in (key for key, (_, n) in daily if n < 0):
        await session.execute(
            delete(DailyRollup).where(
                DailyRollup.business_date == day,
                DailyRollup.metric == metric,
                DailyRollup.brand_id == brand,
                DailyRollup.platform == platform,
                DailyRollup.stores <= 0,
            )
        )


# --- recomputing from daily_values ------------------------------------------------------------


def _month_expr(session: AsyncSession) -> ColumnElement[str]:
    if is_postgres(session):
        return func.to_char(DailyValue.business_date, "YYYY-MM")
    return func.strftime("%Y-%m", DailyValue.business_date)


def _store_join() -> ColumnElement[bool]:
    return DailyValue.subject_key == literal(STORE_PREFIX).concat(cast(Store.id, String))


def _group_filter(groups: Sequence[Group]) -> ColumnElement[bool]:
    return or_(*(and_(Store.brand_id == b, Store.platform == p) for b, p in groups))


async def rebuild(session: AsyncSession) -> tuple[int, int]:
    """Recompute both rollups from ``daily_values``; returns (monthly rows, daily rows). On
    PostgreSQL value writes wait until the caller's transaction ends, so none is missed."""
    if is_postgres(session):
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
