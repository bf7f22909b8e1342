"""Personal targets of the plan file's ``people`` sheet: what it may name, its preview rows,
and writing them with a revision each (in the plan import's transaction)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.months import YearMonth
from bot.domain.person_targets import PersonChange
from bot.domain.plan_people import member_key
from bot.domain.plan_rows import ParsedPlanFile, PlanMetricSpec
from bot.domain.plan_weights import org_day_weights
from bot.domain.text_norm import normalize
from bot.org.schema import OrgConfig
from bot.org.sections import BaseMetric
from bot.services.scope import Scope
from storage.models import Member, PersonTarget
from storage.repositories import members as members_repo
from storage.repositories import person_targets as repo


def person_metrics(org: OrgConfig) -> tuple[BaseMetric, ...]:
    """Metrics of every form (person forms' output, and store forms' for staff who own
    stores): a person may have a target for any of them."""
    keys = dict.fromkeys(k for form in org.forms for k in form.metric_keys)
    found = (org.metric(key) for key in keys)
    return tuple(m for m in found if isinstance(m, BaseMetric))


def person_metric_specs(org: OrgConfig) -> dict[str, PlanMetricSpec]:
    specs: dict[str, PlanMetricSpec] = {}
    for metric in person_metrics(org):
        limit = metric.max * 31 if metric.max is not None else None
        spec = PlanMetricSpec(metric.key, metric.unit, limit)
        for name in (metric.key, *metric.aliases, metric.label.vi, metric.label.en):
            specs.setdefault(normalize(name), spec)
    return specs


def member_names(members: Iterable[Member]) -> dict[str, int]:
    """Folded ``username`` and Telegram id -> member id."""
    names: dict[str, int] = {}
    for member in members:
        names[str(member.telegram_id)] = member.id
        if member.username:
            names[member_key(member.username)] = member.id
    return names


async def members_in_scope(session: AsyncSession, scope: Scope) -> list[Member]:
    return [m for m in await members_repo.list_members(session) if scope.sees_member(m.id)]


async def preview_people(
    session: AsyncSession, org: OrgConfig, parsed: ParsedPlanFile
) -> tuple[PersonChange, ...]:
    wanted = []
    weights: dict[YearMonth, dict[str, float]] = {}
    for row in parsed.people:
        base = weights.setdefault(row.month, org_day_weights(org.plans, row.month))
        wanted.append(
            PersonChange(row.member_id, row.member, row.metric, str(row.month), row.target, base)
        )
    return tuple(await with_current(session, wanted))


async def with_current(session: AsyncSession, wanted: Sequence[PersonChange]) -> list[PersonChange]:
    current = await _current(session, wanted)
    return [
        PersonChange(
            c.member_id,
            c.member,
            c.metric,
            c.month,
            c.new_target,
            c.new_weights,
            current[key].target if (key := (c.member_id, c.metric, c.month)) in current else None,
        )
        for c in wanted
    ]


async def _current(
    session: AsyncSession, changes: Sequence[PersonChange]
) -> dict[tuple[int, str, str], PersonTarget]:
    rows = await repo.targets_for(
        session, {c.member_id for c in changes}, {c.month for c in changes}
    )
    return {(r.member_id, r.metric, r.month): r for r in rows}


def refused_people(org: OrgConfig, scope: Scope, changes: Sequence[PersonChange]) -> list[str]:
    """People or metrics the importer may no longer set (scope or the org file changed)."""
    allowed = {m.key for m in person_metrics(org)}
    refused = []
    for change in changes:
        if not scope.sees_member(change.member_id):
            refused.append(change.member)
        elif change.metric not in allowed:
            refused.append(change.metric)
    return refused


async def conflicts(session: AsyncSession, changes: Sequence[PersonChange]) -> list[PersonChange]:
    """Targets changed since the preview showed them."""
    current = await _current(session, changes)
    moved = []
    for change in changes:
        row = current.get((change.member_id, change.metric, change.month))
        if (row.target if row else None) != change.old_target:
            moved.append(change)
    return moved


async def write_people(
    session: AsyncSession,
    changes: Sequence[PersonChange],
    *,
    member_id: int | None,
    now: datetime,
    source: str,
) -> int | None:
    """Write every new or changed target with its revision; None when one moved meanwhile."""
    current = await _current(session, changes)
    written = 0
    for change in changes:
        if change.kind == "unchanged":
            continue
        row = current.get((change.member_id, change.metric, change.month))
        if row is None:
            target_id = (
                await repo.add_target(
                    session,
                    member_id=change.member_id,
                    metric=change.metric,
                    month=change.month,
                    target=change.new_target,
                    day_weights=change.new_weights,
                    by=member_id,
                    now=now,
                )
            ).id
        else:
            target_id = row.id
            if not await repo.update_target(
                session,
                row.id,
                expected_target=row.target,
                target=change.new_target,
                day_weights=change.new_weights,
                by=member_id,
                now=now,
            ):
                return None
        await repo.add_revision(
            session,
            target_id=target_id,
            old_target=change.old_target,
            new_target=change.new_target,
            by=member_id,
            now=now,
            source=source,
        )
        written += 1
    return written
