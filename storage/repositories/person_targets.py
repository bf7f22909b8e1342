"""Personal monthly targets and their revisions. The caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import PersonTarget, PersonTargetRevision
from storage.repositories.plans import update_if_unchanged

# member id -> month -> metric -> (target, day weights)
TargetRows = dict[int, dict[str, dict[str, tuple[float, dict[str, float]]]]]


async def targets_for(
    session: AsyncSession, member_ids: Iterable[int], months: Iterable[str]
) -> Sequence[PersonTarget]:
    members, wanted = list(set(member_ids)), list(set(months))
    if not members or not wanted:
        return []
    query = (
        select(PersonTarget)
        .where(PersonTarget.member_id.in_(members), PersonTarget.month.in_(wanted))
        .order_by(PersonTarget.member_id, PersonTarget.month, PersonTarget.metric)
    )
    return (await session.scalars(query)).all()


async def target_rows(
    session: AsyncSession, member_ids: Iterable[int], months: Iterable[str]
) -> TargetRows:
    rows: TargetRows = {}
    for target in await targets_for(session, member_ids, months):
        by_month = rows.setdefault(target.member_id, {}).setdefault(target.month, {})
        by_month[target.metric] = (target.target, dict(target.day_weights or {}))
    return rows


async def add_target(
    session: AsyncSession,
    *,
    member_id: int,
    metric: str,
    month: str,
    target: float,
    day_weights: dict[str, float],
    by: int | None,
    now: datetime,
) -> PersonTarget:
    row = PersonTarget(
        member_id=member_id,
        metric=metric,
        month=month,
        target=target,
        day_weights=day_weights,
        updated_at=now,
        updated_by_id=by,
    )
    session.add(row)
    await session.flush()
    return row


async def update_target(
    session: AsyncSession,
    target_id: int,
    *,
    expected_target: float,
    target: float,
    day_weights: dict[str, float],
    by: int | None,
    now: datetime,
) -> bool:
    """Change a target only if it is still ``expected_target``; False when it moved."""
    return await update_if_unchanged(
        session, PersonTarget, target_id, expected_target, target=target,
        day_weights=day_weights, by=by, now=now,
    )  # fmt: skip


async def add_revision(
    session: AsyncSession,
    *,
    target_id: int,
    old_target: float | None,
    new_target: float,
    by: int | None,
    now: datetime,
    source: str,
) -> None:
    session.add(
        PersonTargetRevision(
            target_id=target_id,
            old_target=old_target,
            new_target=new_target,
            changed_by_id=by,
            changed_at=now,
            source=source,
        )
    )
