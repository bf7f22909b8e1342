"""Monthly plans per store and metric. The caller owns the transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Plan


async def month_targets(
    session: AsyncSession, store_id: int, month: str
) -> dict[str, tuple[float, dict[str, float]]]:
    """metric -> (monthly target, day weights) for one store and month (`YYYY-MM`)."""
    rows = await session.scalars(select(Plan).where(Plan.store_id == store_id, Plan.month == month))
    return {plan.metric: (plan.target, dict(plan.day_weights or {})) for plan in rows.all()}
