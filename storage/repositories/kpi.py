"""Reads behind the KPI views: sums of daily values, reported days, plans. No commits here.

Subjects are ``daily_values.subject_key`` strings: ``store:<id>`` or ``member:<id>``. Every
function answers for a whole set of subjects in one query (no query per store), aggregating in
SQL so that even "all stores" returns only a few thousand rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DailyValue, Plan, Report
from storage.repositories import rollup_reads

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
    Whole months are read from the monthly rollups (``rollup_reads.split_months``)."""
    keys = _keys(subject_keys)
    if not keys:
        return {}
    split = await rollup_reads.split_months(session, keys, start, end, metrics)
    parts: list[tuple[int, rollup_reads.Counted]] = []
    if split.whole:
        parts.append((1, await rollup_reads.monthly_totals(session, keys, split.whole, metrics)))
    for sign, ranges in ((1, split.rest), (-1, split.minus)):
        for first, last in ranges:
            parts.append((sign, await _value_totals(session, keys, first, last, metrics)))
    if len(parts) == 1 and parts[0][0] == 1:
        return {s: {m: t for m, (t, _) in sums.items()} for s, sums in parts[0][1].items()}
    counted: dict[str, dict[str, tuple[float, int]]] = defaultdict(dict)
    for sign, part in parts:
        for subject, sums in part.items():
            own = counted[subject]
            for metric, (total, count) in sums.items():
                known, number = own.get(metric, (0.0, 0))
                own[metric] = (known + sign * total, number + sign * count)
    totals: Totals = {}
    for subject, sums in counted.items():
        kept = {metric: total for metric, (total, count) in sums.items() if count > 0}
        if kept:
            totals[subject] = kept
    return totals


async def _value_totals(
    session: AsyncSession, keys: list[str], start: date, end: date, metrics: Sequence[str] | None
) -> rollup_reads.Counted:
    query = (
        select(DailyValue.subject_key, DailyValue.metric, func.sum(DailyValue.value), func.count())
        .where(*_range(keys, start, end, metrics))
        .group_by(DailyValue.subject_key, DailyValue.metric)
    )
    totals: rollup_reads.Counted = defaultdict(dict)
    for subject, metric, total, count in (await session.execute(query)).all():
        totals[subject][metric] = (float(total), int(count))
    return dict(totals)


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
        select(DailyValue.business_date, DailyValue.metric, func.sum(DailyValue.value))
        .where(*_range(keys, start, end, metrics))
        .group_by(DailyValue.business_date, DailyValue.metric)
    )
    result: dict[date, dict[str, float]] = defaultdict(dict)
    for day, metric, total in (await session.execute(query)).all():
        result[day][metric] = float(total)
    return dict(result)


def _range(
    keys: list[str], start: date, end: date, metrics: Sequence[str] | None
) -> list[ColumnElement[bool]]:
    """Conditions on subjects, dates and (optionally) metrics. Both daily_values indexes cover
    these reads: a few subjects take the subject index, many take the date index."""
    conditions = [
        DailyValue.subject_key.in_(keys),
        DailyValue.business_date >= start,
        DailyValue.business_date <= end,
    ]
    if metrics is not None:
        conditions.append(DailyValue.metric.in_(list(metrics)))
    return conditions


async def subject_daily_values(
    session: AsyncSession, subject_keys: Iterable[str], metric: str, start: date, end: date
) -> dict[str, dict[date, float]]:
    """One metric per subject and day (a heatmap's cells, a person's output)."""
    keys = _keys(subject_keys)
    if not keys:
        return {}
    rows = await session.execute(
        select(DailyValue.subject_key, DailyValue.business_date, DailyValue.value).where(
            *_range(keys, start, end, [metric])
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
    in_range = (
        Report.subject_key.in_(keys),
        Report.business_date >= start,
        Report.business_date <= end,
    )
    spans = await session.execute(
        select(
            Report.subject_key,
            func.min(Report.business_date),
            func.max(Report.business_date),
            func.count(distinct(Report.business_date)),
        )
        .where(*in_range)
        .group_by(Report.subject_key)
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
            select(Report.subject_key, Report.business_date)
            .where(Report.subject_key.in_(with_gaps), *in_range[1:])
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
        select(Report.subject_key, Report.business_date, Report.created_at).where(
            Report.subject_key.in_(keys),
            Report.business_date >= start,
            Report.business_date <= end,
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
    query = select(Plan.store_id, Plan.month, Plan.metric, Plan.target, Plan.day_weights).where(
        Plan.store_id.in_(ids), Plan.month.in_(wanted_months)
    )
    if metrics is not None:
        query = query.where(Plan.metric.in_(list(metrics)))
    result: PlanRows = defaultdict(lambda: defaultdict(dict))
    for store_id, month, metric, target, weights in (await session.execute(query)).all():
        result[store_id][month][metric] = (float(target), dict(weights or {}))
    return {store: dict(months_) for store, months_ in result.items()}
