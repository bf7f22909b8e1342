"""Monthly plans per store and metric, and their revisions. The caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Member, PersonTarget, Plan, PlanRevision


async def month_targets(
    session: AsyncSession, store_id: int, month: str
) -> dict[str, tuple[float, dict[str, float]]]:
    """metric -> (monthly target, day weights) for one store and month (`YYYY-MM`)."""
    rows = await session.scalars(select(Plan).where(Plan.store_id == store_id, Plan.month == month))
    return {plan.metric: (plan.target, dict(plan.day_weights or {})) for plan in rows.all()}


async def plans_for(
    session: AsyncSession, store_ids: Iterable[int], months: Iterable[str]
) -> Sequence[Plan]:
    """Every plan of these stores in these months (`YYYY-MM`)."""
    stores, wanted_months = list(set(store_ids)), list(set(months))
    if not stores or not wanted_months:
        return []
    query = (
        select(Plan)
        .where(Plan.store_id.in_(stores), Plan.month.in_(wanted_months))
        .order_by(Plan.store_id, Plan.month, Plan.metric)
    )
    return (await session.scalars(query)).all()


async def add_plan(
    session: AsyncSession,
    *,
    store_id: int,
    metric: str,
    month: str,
    target: float,
    day_weights: dict[str, float],
    by: int | None,
    now: datetime,
) -> Plan:
    plan = Plan(
        store_id=store_id,
        metric=metric,
        month=month,
        target=target,
        day_weights=day_weights,
        updated_at=now,
        updated_by_id=by,
    )
    session.add(plan)
    await session.flush()
    return plan


async def update_plan(
    session: AsyncSession,
    plan_id: int,
    *,
    expected_target: float,
    target: float,
    day_weights: dict[str, float],
    by: int | None,
    now: datetime,
) -> bool:
    """Change a plan only if its target is still ``expected_target``; False when it moved."""
    return await update_if_unchanged(
        session, Plan, plan_id, expected_target, target=target, day_weights=day_weights, by=by,
        now=now,
    )  # fmt: skip


async def update_if_unchanged(
    session: AsyncSession,
    model: type[Plan] | type[PersonTarget],
    row_id: int,
    expected_target: float,
    *,
    target: float,
    day_weights: dict[str, float],
    by: int | None,
    now: datetime,
) -> bool:
    """A store plan's or a personal target's new target, written only if the stored one is
    still ``expected_target`` (nobody changed it since it was previewed)."""
    result = await session.execute(
        update(model)
        .where(model.id == row_id, model.target == expected_target)
        .values(target=target, day_weights=day_weights, updated_at=now, updated_by_id=by)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


async def add_revision(
    session: AsyncSession,
    *,
    plan_id: int,
    old_target: float | None,
    new_target: float,
    old_day_weights: dict[str, float] | None,
    new_day_weights: dict[str, float],
    by: int | None,
    now: datetime,
    source: str,
) -> None:
    session.add(
        PlanRevision(
            plan_id=plan_id,
            old_target=old_target,
            new_target=new_target,
            old_day_weights=old_day_weights,
            new_day_weights=new_day_weights,
            changed_by_id=by,
            changed_at=now,
            source=source,
        )
    )


async def last_change(
    session: AsyncSession, plan_ids: Iterable[int]
) -> tuple[datetime, str | None] | None:
    """When the latest of these plans was changed, and by whom (None: from the command line)."""
    ids = list(plan_ids)
    if not ids:
        return None
    row = (
        await session.execute(
            select(PlanRevision.changed_at, Member.full_name)
            .outerjoin(Member, Member.id == PlanRevision.changed_by_id)
            .where(PlanRevision.plan_id.in_(ids))
            .order_by(PlanRevision.changed_at.desc(), PlanRevision.id.desc())
            .limit(1)
        )
    ).first()
    return (row[0], row[1]) if row else None
