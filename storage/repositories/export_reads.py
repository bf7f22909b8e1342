"""Reads behind the .xlsx exports: daily values of stores and of people over a date range."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DailyValue, Department, Member, Report


@dataclass(frozen=True)
class StoreValue:
    store_id: int
    day: date
    metric: str
    value: float


@dataclass(frozen=True)
class PersonValue:
    member_id: int
    name: str
    department: str | None
    day: date
    metric: str
    value: float


async def store_values(
    session: AsyncSession, store_ids: Iterable[int], first: date, last: date
) -> list[StoreValue]:
    ids = list(set(store_ids))
    if not ids:
        return []
    rows = await session.execute(
        select(Report.store_id, DailyValue.business_date, DailyValue.metric, DailyValue.value)
        .join(Report, Report.id == DailyValue.report_id)
        .where(
            Report.store_id.in_(ids),
            DailyValue.business_date >= first,
            DailyValue.business_date <= last,
        )
        .order_by(DailyValue.business_date, Report.store_id)
    )
    return [StoreValue(int(s), d, m, float(v)) for s, d, m, v in rows.all() if s is not None]


async def person_values(
    session: AsyncSession, member_ids: Iterable[int] | None, first: date, last: date
) -> list[PersonValue]:
    """Person-level values; ``member_ids`` None means everyone."""
    query = (
        select(
            Report.member_id,
            Member.full_name,
            Department.code,
            DailyValue.business_date,
            DailyValue.metric,
            DailyValue.value,
        )
        .join(Report, Report.id == DailyValue.report_id)
        .join(Member, Member.id == Report.member_id)
        .outerjoin(Department, Department.id == Member.department_id)
        .where(DailyValue.business_date >= first, DailyValue.business_date <= last)
        .order_by(DailyValue.business_date, Member.full_name)
    )
    if member_ids is not None:
        ids = list(set(member_ids))
        if not ids:
            return []
        query = query.where(Report.member_id.in_(ids))
    rows = await session.execute(query)
    return [PersonValue(int(i), n, dep, d, m, float(v)) for i, n, dep, d, m, v in rows.all()]
