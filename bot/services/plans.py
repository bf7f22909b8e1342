"""Plan import (check → preview → apply in one transaction) and plan reads for chat and CLI.

A file is parsed and validated in full first (``check_plan_file``); nothing is written unless it
is clean. The preview lists each target as new, changed (old → new) or unchanged, and keeps the
values it was computed from, so ``apply_preview`` can refuse when someone changed a plan in
between (``PlanConflict``) instead of overwriting it. Every new or changed target gets a
``PlanRevision``; unchanged plans are not touched.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.months import YearMonth
from bot.domain.plan_campaigns import CampaignRow
from bot.domain.plan_file import parse_plan_file
from bot.domain.plan_preview import PlanChange, PlanPreview, PlanTarget, StorePlan
from bot.domain.plan_rows import ParsedPlanFile, PlanFileContext, PlanMetricSpec, PlanProblem
from bot.domain.plan_weights import effective_weights, org_day_weights
from bot.domain.text_norm import normalize
from bot.org.schema import OrgConfig
from bot.org.sections import BaseMetric
from bot.roles import Role
from bot.services import person_targets as people
from bot.services.scope import Scope
from storage.models import Member, Plan, Store
from storage.repositories import campaigns
from storage.repositories import plans as plan_repo
from storage.repositories.campaigns import CampaignFields

log = logging.getLogger(__name__)

Source = Literal["chat", "cli"]
IMPORTERS = frozenset({Role.MANAGER, Role.ADMIN})
VIEWERS = frozenset({Role.MANAGER, Role.BOD, Role.ADMIN})


# --- what can have a plan ----------------------------------------------------------------------


def plan_metrics(org: OrgConfig) -> tuple[BaseMetric, ...]:
    """Base metrics that take a monthly target: ``plans.metrics``, else the per-store forms'."""
    keys: Sequence[str]
    if org.plans.metrics is not None:
        keys = org.plans.metrics
    else:
        keys = list(
            dict.fromkeys(k for form in org.forms if form.per == "store" for k in form.metric_keys)
        )
    found = (org.metric(key) for key in keys)
    return tuple(m for m in found if isinstance(m, BaseMetric))


def file_context(
    org: OrgConfig,
    stores: Iterable[Store],
    default_month: YearMonth | None = None,
    members: Iterable[Member] = (),
) -> PlanFileContext:
    """What a plan file may name: ``stores`` (the importer's scope) and the plan metrics; in
    its people sheet, ``members`` (also the importer's scope) and the person metrics."""
    metrics: dict[str, PlanMetricSpec] = {}
    for metric in plan_metrics(org):
        limit = metric.max * 31 if metric.max is not None else None
        spec = PlanMetricSpec(metric.key, metric.unit, limit)
        for name in (metric.key, *metric.aliases, metric.label.vi, metric.label.en):
            metrics.setdefault(normalize(name), spec)
    others: dict[str, str] = {}
    for other in org.metrics:
        for name in (other.key, other.label.vi, other.label.en):
            if normalize(name) not in metrics:
                others.setdefault(normalize(name), other.key)
    return PlanFileContext(
        stores={normalize(s.code): s.code for s in stores},
        metrics=metrics,
        other_metrics=others,
        default_month=default_month,
        members=people.member_names(members),
        person_metrics=people.person_metric_specs(org),
    )


# --- preview -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanCheck:
    """The outcome of reading a file: a preview, or the problems (never both)."""

    preview: PlanPreview | None = None
    problems: tuple[PlanProblem, ...] = ()


async def check_plan_file(
    session: AsyncSession,
    org: OrgConfig,
    scope: Scope,
    file_name: str,
    content: bytes,
    *,
    default_month: YearMonth | None = None,
) -> PlanCheck:
    """Parse and validate a plan file for someone with ``scope``; preview it when clean."""
    members = await people.members_in_scope(session, scope)
    context = file_context(org, scope.stores, default_month, members)
    parsed = await asyncio.to_thread(parse_plan_file, file_name, content, context)
    if not parsed.ok:
        log.info("plan file refused name=%s problems=%d", file_name, len(parsed.problems))
        return PlanCheck(problems=parsed.problems)
    return PlanCheck(preview=await preview_parsed(session, org, scope, parsed))


async def preview_parsed(
    session: AsyncSession, org: OrgConfig, scope: Scope, parsed: ParsedPlanFile
) -> PlanPreview:
    stores = {s.code: s.id for s in scope.stores}
    wanted: list[PlanChange] = []
    org_weights: dict[YearMonth, dict[str, float]] = {}
    for row in parsed.rows:
        base = org_weights.setdefault(row.month, org_day_weights(org.plans, row.month))
        weights = effective_weights(base, row.store, row.month, parsed.weights)
        wanted.append(
            PlanChange(
                stores[row.store], row.store, row.metric, str(row.month), row.target, weights
            )
        )
    current = tuple(await _with_current(session, wanted))
    personal = await people.preview_people(session, org, parsed)
    return PlanPreview(current, parsed.skipped, personal, parsed.campaigns)


async def _with_current(session: AsyncSession, wanted: Sequence[PlanChange]) -> list[PlanChange]:
    """The wanted targets, each with the target and weights stored now."""
    current = await _current_plans(session, wanted)
    result = []
    for change in wanted:
        plan = current.get((change.store_id, change.metric, change.month))
        result.append(
            PlanChange(
                change.store_id,
                change.store,
                change.metric,
                change.month,
                change.new_target,
                change.new_weights,
                plan.target if plan else None,
                dict(plan.day_weights or {}) if plan else None,
            )
        )
    return result


async def _current_plans(
    session: AsyncSession, changes: Sequence[PlanChange]
) -> dict[tuple[int, str, str], Plan]:
    plans = await plan_repo.plans_for(
        session, {c.store_id for c in changes}, {c.month for c in changes}
    )
    return {(p.store_id, p.metric, p.month): p for p in plans}


# --- apply -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplyOutcome:
    """``conflicts``: targets that changed since the preview (then nothing was written) and a
    fresh preview to confirm again; ``refused``: stores or metrics no longer allowed."""

    written: int = 0
    conflicts: tuple[PlanChange, ...] = ()
    fresh: PlanPreview | None = None
    refused: tuple[str, ...] = ()
    moved: int = 0  # personal targets changed since the preview

    @property
    def ok(self) -> bool:
        return not self.conflicts and not self.refused and not self.moved


def refused_rows(org: OrgConfig, scope: Scope, preview: PlanPreview) -> list[str]:
    """Rows the member may not write now (scope or the org file changed since the preview)."""
    allowed_metrics = {m.key for m in plan_metrics(org)}
    allowed_stores = {(s.id, s.code) for s in scope.stores}
    refused = []
    for change in preview.changes:
        if (change.store_id, change.store) not in allowed_stores:
            refused.append(change.store)
        elif change.metric not in allowed_metrics:
            refused.append(change.metric)
    return sorted(set(refused))


async def apply_preview(
    session: AsyncSession,
    org: OrgConfig,
    scope: Scope,
    preview: PlanPreview,
    *,
    member_id: int | None,
    now: datetime,
    source: Source,
) -> ApplyOutcome:
    """Write every new or changed target with a revision, in the caller's transaction.

    Nothing is written when a stored plan no longer matches what the preview showed; the
    caller then rolls back and shows ``fresh`` to be confirmed again.
    """
    refused = refused_rows(org, scope, preview)
    refused += people.refused_people(org, scope, preview.people)
    if refused:
        return ApplyOutcome(refused=tuple(sorted(set(refused))))
    current = await _current_plans(session, preview.changes)
    conflicts = [c for c in preview.changes if not _still_as_previewed(c, current)]
    moved_people = await people.conflicts(session, preview.people)
    if conflicts or moved_people:
        fresh = await _fresh(session, preview)
        return ApplyOutcome(conflicts=tuple(conflicts), fresh=fresh, moved=len(moved_people))
    written = 0
    for change in preview.changes:
        if change.kind == "unchanged":
            continue
        plan = current.get((change.store_id, change.metric, change.month))
        if not await _write(session, change, plan, member_id, now, source):
            return ApplyOutcome(conflicts=(change,), fresh=await _fresh(session, preview))
        written += 1
    personal = await people.write_people(
        session, preview.people, member_id=member_id, now=now, source=source
    )
    if personal is None:
        return ApplyOutcome(fresh=await _fresh(session, preview), moved=1)
    written += personal
    for campaign in preview.campaigns:
        await campaigns.upsert(session, campaign_fields(campaign), source="plan", now=now)
    log.info("plans applied written=%d source=%s by=%s", written, source, member_id)
    return ApplyOutcome(written=written)


async def _fresh(session: AsyncSession, preview: PlanPreview) -> PlanPreview:
    """The preview again, with what is stored now."""
    return PlanPreview(
        tuple(await _with_current(session, preview.changes)),
        preview.skipped,
        tuple(await people.with_current(session, preview.people)),
        preview.campaigns,
    )


def _still_as_previewed(change: PlanChange, current: Mapping[tuple[int, str, str], Plan]) -> bool:
    plan = current.get((change.store_id, change.metric, change.month))
    if plan is None:
        return change.old_target is None
    return plan.target == change.old_target and dict(plan.day_weights or {}) == (
        change.old_weights or {}
    )


async def _write(
    session: AsyncSession,
    change: PlanChange,
    plan: Plan | None,
    member_id: int | None,
    now: datetime,
    source: Source,
) -> bool:
    if plan is None:
        plan = await plan_repo.add_plan(
            session,
            store_id=change.store_id,
            metric=change.metric,
            month=change.month,
            target=change.new_target,
            day_weights=change.new_weights,
            by=member_id,
            now=now,
        )
        plan_id = plan.id
    else:
        plan_id = plan.id
        moved = not await plan_repo.update_plan(
            session,
            plan.id,
            expected_target=plan.target,
            target=change.new_target,
            day_weights=change.new_weights,
            by=member_id,
            now=now,
        )
        if moved:
            return False
    await plan_repo.add_revision(
        session,
        plan_id=plan_id,
        old_target=change.old_target,
        new_target=change.new_target,
        old_day_weights=change.old_weights,
        new_day_weights=change.new_weights,
        by=member_id,
        now=now,
        source=source,
    )
    return True


# --- reading a plan ----------------------------------------------------------------------------


def find_store(scope: Scope, text: str) -> Store | None:
    """A store in scope by code, case- and accent-insensitively (out of scope: not found)."""
    wanted = normalize(text)
    return next((s for s in scope.stores if normalize(s.code) == wanted), None)


async def store_plan(
    session: AsyncSession, org: OrgConfig, store: Store, month: YearMonth
) -> StorePlan:
    plans = {p.metric: p for p in await plan_repo.plans_for(session, [store.id], [str(month)])}
    targets = []
    for metric in plan_metrics(org):
        plan = plans.get(metric.key)
        targets.append(
            PlanTarget(
                metric,
                plan.target if plan else None,
                dict(plan.day_weights or {}) if plan else {},
            )
        )
    change = await plan_repo.last_change(session, [p.id for p in plans.values()])
    return StorePlan(
        store,
        month,
        tuple(targets),
        changed_at=change[0] if change else None,
        changed_by=change[1] if change else None,
    )


def campaign_fields(row: CampaignRow) -> CampaignFields:
    """A campaigns-sheet row as the campaign it declares (created or updated as it says)."""
    return CampaignFields(
        code=row.code,
        name=row.name,
        start=row.start,
        end=row.end,
        store_codes=row.stores,
        budget=row.budget,
        targets=dict(row.targets),
    )
