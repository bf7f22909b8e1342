"""Reads behind the KPI views: sums of daily values, reported days, plans. No commits here.

Subjects are ``daily_values.subject_key`` strings: ``store:<id>`` or ``member:<id>``. Every
function answers for a whole set of subjects in one query (no query per store), aggregating in
SQL so that even "all stores" returns only a few thousand rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, distinct, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DailyValue, Plan, Report
from storage.repositories import rollup_reads
from storage.repositories.sql import among

# Table columns, not ORM attributes: these reads return thousands of plain rows, and the ORM's
# row handling cost as much as the query itself.
_values = DailyValue.__table__.c
_reports = Report.__table__.c

Totals = dict[str, dict[str, float]]  # subject_key -> metric -> sum


def store_key(store_id: int) -> str:
    return f"store:{store_id}"


def member_key(member_id: int) -> str:
    return f"member:{member_id}"


def _keys(subject_keys: Iterable[str]) -> list[str]:
    return sorted(set(subject_keys))


async def metric_totals(
    session: AsyncSession,
    subject_keys: Iterable[str],
    start: date,
    end: date,
    metrics: Sequence[str] | None = None,
) -> Totals:
    """Sum of each metric per subject over [start, end]; absent when nothing was reported.
    Whole months are read from the monthly rollups (``rollup_reads.split_months``); the parts
    are added up in one statement, so "all stores" brings back one row per store and metric."""
    keys = _keys(subject_keys)
    if not keys:
        return {}
    split = await rollup_reads.split_months(session, keys, start, end, metrics)
    parts: list[Select[Any]] = []
    if split.whole:
        parts.append(rollup_reads.monthly_rows(session, keys, split.whole, metrics))
    for sign, ranges in ((1, split.rest), (-1, split.minus)):
        parts += [_value_rows(session, keys, first, last, metrics, sign) for first, last in ranges]
    rows = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    query = (
        select(rows.c.subject_key, rows.c.metric, func.sum(rows.c.total))
        .group_by(rows.c.subject_key, rows.c.metric)
        .having(func.sum(rows.c.counted) > 0)  # absent, as in a plain sum, when nothing is left
    )
    totals: Totals = defaultdict(dict)
    for subject, metric, total in (await session.execute(query)).all():
        totals[subject][metric] = float(total)
    return dict(totals)


def _value_rows(
    session: AsyncSession,
    keys: list[str],
    start: date,
    end: date,
    metrics: Sequence[str] | None,
    sign: int,
) -> Select[Any]:
    """Daily values as (subject, metric, signed value, signed count) rows."""
    return select(
        _values.subject_key,
        _values.metric,
        (_values.value * sign).label("total"),
        literal(sign).label("counted"),
    ).where(*_range(session, keys, start, end, metrics))


async def daily_totals(
    session: AsyncSession,
    subject_keys: Iterable[str],
    start: date,
    end: date,
    metrics: Sequence[str] | None = None,
) -> dict[date, dict[str, float]]:
    """Sum over the subjects of each metric per day (only days someone reported). Stores that
    make up whole (brand, platform) groups, or nearly, are read from the daily rollups."""
    keys = _keys(subject_keys)
    if not keys:
        return {}
    ids = rollup_reads.store_ids(keys)
    found = await rollup_reads.groups_of(session, ids) if ids else None
    if ids and found is not None and len(found[1]) <= len(ids):
        return await rollup_reads.group_daily(session, found[0], found[1], start, end, metrics)
    query = (
        select(_values.business_date, _values.metric, func.sum(_values.value))
        .where(*_range(session, keys, start, end, metrics))
        .group_by(_values.business_date, _values.metric)
    )
    result: dict[date, dict[str, float]] = defaultdict(dict)
    for day, metric, total in (await session.execute(query)).all():
        result[day][metric] = float(total)
    return dict(result)


def _range(
    session: AsyncSession,
    keys: list[str],
    start: date,
    end: date,
    metrics: Sequence[str] | None,
) -> list[ColumnElement[bool]]:
    """Conditions on subjects, dates and (optionally) metrics. Both daily_values indexes cover
    these reads: a few subjects take the subject index, many take the date index."""
    conditions = [
        among(session, _values.subject_key, keys),
        _values.business_date >= start,
        _values.business_date <= end,
    ]
    if metrics is not None:
        conditions.append(_values.metric.in_(list(metrics)))
    return conditions


async def subject_daily_values(
    session: AsyncSession, subject_keys: Iterable[str], metric: str, start: date, end: date
) -> dict[str, dict[date, float]]:
    """One metric per subject and day (a heatmap's cells, a person's output)."""
    keys = _keys(subject_keys)
    if not keys:
        return {}
    rows = await session.execute(
        select(_values.subject_key, _values.business_date, _values.value).where(
            *_range(session, keys, start, end, [metric])
        )
    )
    result: dict[str, dict[date, float]] = defaultdict(dict)
    for subject, day, value in rows.all():
        result[subject][day] = float(value)
    return dict(result)


async def reported_days(
    session: AsyncSession, subject_keys: Iterable[str], start: date, end: date
) -> dict[str, set[date]]:
    """The business dates each subject sent a report for (any form). A subject that reported
    every day from its first to its last comes back as one row (first, last, days), the others
    day by day: "all stores" over a month read 15,000 rows where 500 say the same."""
    keys = _keys(subject_keys)
    if not keys:
        return {}
    dates = (_reports.business_date >= start, _reports.business_date <= end)
    spans = await session.execute(
        select(
            _reports.subject_key,
            func.min(_reports.business_date),
            func.max(_reports.business_date),
            func.count(distinct(_reports.business_date)),
        )
        .where(among(session, _reports.subject_key, keys), *dates)
        .group_by(_reports.subject_key)
    )
    result: dict[str, set[date]] = {}
    with_gaps = []
    for subject, first, last, count in spans.all():
        if (last - first).days + 1 == count:
            result[subject] = {first + timedelta(days=n) for n in range(count)}
        else:
            with_gaps.append(subject)
    if with_gaps:
        rows = await session.execute(
            select(_reports.subject_key, _reports.business_date)
            .where(among(session, _reports.subject_key, with_gaps), *dates)
            .distinct()
        )
        for subject, day in rows.all():
            result.setdefault(subject, set()).add(day)
    return result


async def first_sent(
    session: AsyncSession, subject_keys: Iterable[str], start: date, end: date
) -> dict[str, dict[date, datetime]]:
    """When each subject first sent its report of each day (for punctuality)."""
    keys = _keys(subject_keys)
    if not keys:
        return {}
    rows = await session.execute(
        select(_reports.subject_key, _reports.business_date, _reports.created_at).where(
            among(session, _reports.subject_key, keys),
            _reports.business_date >= start,
            _reports.business_date <= end,
        )
    )
    result: dict[str, dict[date, datetime]] = defaultdict(dict)
    for subject, day, created in rows.all():
        known = result[subject].get(day)
        if known is None or created < known:
            result[subject][day] = created
    return dict(result)


PlanRows = dict[int, dict[str, dict[str, tuple[float, dict[str, float]]]]]


async def plans_for(
    session: AsyncSession,
    store_ids: Iterable[int],
    months: Iterable[str],
    metrics: Sequence[str] | None = None,
) -> PlanRows:
    """store id -> month (``YYYY-MM``) -> metric -> (target, day weights)."""
    ids, wanted_months = sorted(set(store_ids)), sorted(set(months))
    if not ids or not wanted_months:
        return {}
    plans = Plan.__table__.c
    query = select(
        plans.store_id, plans.month, plans.metric, plans.target, plans.day_weights
    ).where(among(session, plans.store_id, ids), plans.month.in_(wanted_months))
    if metrics is not None:
        query = query.where(plans.metric.in_(list(metrics)))
    result: PlanRows = defaultdict(lambda: defaultdict(dict))
    for store_id, month, metric, target, weights in (await session.execute(query)).all():
        result[store_id][month][metric] = (float(target), dict(weights or {}))
    return {store: dict(months_) for store, months_ in result.items()}
