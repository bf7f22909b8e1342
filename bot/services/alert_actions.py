"""What an alert's buttons do: acknowledge, snooze until tomorrow's deadline, create a task.

A press is re-validated on arrival: the alerts are read again from the database, and only the
people the alert was sent to (owners of the store, its department's managers, the board, plus
any level it was escalated to) who still see the store may act; for a campaign's alert, its
owners, the managers of its stores' departments and the board, by the same levels, while the
campaign exists. A forged or foreign button finds nothing; a stale one says who acted first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.alert_outcome import Outcome
from bot.domain.alerts import AlertStatus
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.roles import Role
from bot.services.alerts import levels_of, next_deadline
from bot.services.campaign_alerts import CampaignAudience, audience_of_state
from bot.services.scope import scope_of
from bot.views import alerts as texts
from storage.models import AlertState, Member, Store
from storage.repositories import alerts as repo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    """The alerts a press acts on: a store's, or a campaign's (``store`` None: no task)."""

    store: Store | None
    alerts: list[AlertState]

    @property
    def tasks(self) -> bool:
        """Whether a follow-up task can be created (a store with an owner to give it to)."""
        return self.store is not None


async def _may_act(
    session: AsyncSession, org: OrgConfig, member: Member, store: Store, state: AlertState
) -> bool:
    levels = _levels(org, state)
    if levels is None:
        return False
    manages = member.department_id is not None and member.department_id == store.department_id
    if _board_or_manager(levels, member, manages):
        return True
    return "owners" in levels and await repo.is_store_owner(session, member.id, store.id)


def _campaign_may_act(
    org: OrgConfig, member: Member, audience: CampaignAudience, state: AlertState
) -> bool:
    """Like a store's: the levels the alert went to, with the campaign's owners and the
    managers of its stores' departments."""
    levels = _levels(org, state)
    if levels is None:
        return False
    if _board_or_manager(levels, member, audience.is_manager(member.id)):
        return True
    return "owners" in levels and audience.is_owner(member.id)


def _levels(org: OrgConfig, state: AlertState) -> set[str] | None:
    """The levels an alert has reached (None: its rule is gone from the org file)."""
    rule = org.alert_rule(state.rule_id)
    return None if rule is None else set(levels_of(rule, state))


def _board_or_manager(levels: set[str], member: Member, manages: bool) -> bool:
    role = Role(member.role)
    if "bod" in levels and role in (Role.BOD, Role.ADMIN):
        return True
    return "manager" in levels and role is Role.MANAGER and manages


async def _candidates(session: AsyncSession, lead: AlertState, scope: str) -> list[AlertState]:
    if scope == "a":
        return [lead]
    return [
        s
        for s in await repo.states_from(session, lead.subject_key, lead.id)
        if (s.detail or {}).get("batch") == lead.id
    ]


async def find_target(
    session: AsyncSession, org: OrgConfig, member: Member, scope: str, alert_id: int
) -> Target | None:
    """The alerts a button stands for that ``member`` may act on; None when there are none
    (or the button's scope is neither "a" nor "b": a tampered button)."""
    if scope not in ("a", "b"):
        return None
    lead = await repo.get_state(session, alert_id)
    if lead is None:
        return None
    if lead.store_id is None:
        audience = await audience_of_state(session, org, lead)
        if audience is None:
            return None
        candidates = await _candidates(session, lead, scope)
        found = [s for s in candidates if _campaign_may_act(org, member, audience, s)]
        return Target(None, found) if found else None
    store = await session.get(Store, lead.store_id)
    if (
        store is None
        or not store.active
        or not (await scope_of(session, member)).sees_store(store.id)
    ):
        return None
    candidates = await _candidates(session, lead, scope)
    mine = [s for s in candidates if await _may_act(session, org, member, store, s)]
    return Target(store, mine) if mine else None


async def _name(session: AsyncSession, member_id: int | None) -> str | None:
    member = await session.get(Member, member_id) if member_id else None
    return member.full_name if member else None


async def _why_not(session: AsyncSession, alerts: list[AlertState]) -> Outcome:
    acknowledged = next((s for s in alerts if s.state == AlertStatus.ACKNOWLEDGED), None)
    if acknowledged is not None:
        return Outcome(
            "acknowledged",
            await _name(session, acknowledged.acknowledged_by_id),
            acknowledged.acknowledged_at,
        )
    snoozed = next((s for s in alerts if s.state == AlertStatus.SNOOZED), None)
    if snoozed is not None:
        name = (snoozed.detail or {}).get("snoozed_by")
        return Outcome("snoozed", str(name) if name else None, snoozed.snoozed_until)
    return Outcome("resolved")


async def acknowledge(
    session: AsyncSession, target: Target, member: Member, now: datetime
) -> Outcome:
    pending = [s for s in target.alerts if s.state in (AlertStatus.OPEN, AlertStatus.SNOOZED)]
    if not pending:
        return await _why_not(session, target.alerts)
    for state in pending:
        state.state = AlertStatus.ACKNOWLEDGED.value
        state.acknowledged_by_id, state.acknowledged_at, state.updated_at = member.id, now, now
    await session.flush()
    log.info("alerts %s acknowledged by member %s", [s.id for s in pending], member.id)
    return Outcome("done", member.full_name, now)


async def snooze(
    session: AsyncSession, org: OrgConfig, target: Target, member: Member, now: datetime
) -> Outcome:
    pending = [s for s in target.alerts if s.state == AlertStatus.OPEN]
    if not pending:
        return await _why_not(session, target.alerts)
    until = next_deadline(org, now)
    for state in pending:
        state.state = AlertStatus.SNOOZED.value
        state.snoozed_until, state.updated_at = until, now
        state.detail = {**(state.detail or {}), "snoozed_by": member.full_name}
    await session.flush()
    log.info("alerts %s snoozed by member %s until %s", [s.id for s in pending], member.id, until)
    return Outcome("done", member.full_name, until)


async def create_follow_up(
    session: AsyncSession, org: OrgConfig, target: Target, member: Member, now: datetime
) -> Outcome:
    """A follow-up task for the store's owner, tracked like an order request."""
    from bot.services.orders import create_task  # the orders feature owns tasks

    store = target.store
    if store is None:
        return Outcome("not_found")  # a campaign's alert has no Create task button
    existing = next((s.task_id for s in target.alerts if s.task_id), None)
    if existing is not None:
        return Outcome("has_task", task_id=existing)
    if all(s.state == AlertStatus.RESOLVED for s in target.alerts):
        return Outcome("resolved")
    owners = (await repo.store_owners(session, [store.id])).get(store.id, [])
    if not owners or store.department_id is None:
        return Outcome("no_owner")
    owner = owners[0]
    t = Translator(owner.locale)
    metrics = ", ".join(
        dict.fromkeys(
            texts.metric_label(org, (s.detail or {}).get("metric"), t) or s.rule_id
            for s in texts.by_severity(target.alerts)
        )
    )
    task = await create_task(
        session,
        department_id=store.department_id,
        store_id=store.id,
        assignee_id=owner.id,
        title=t("alert.task_title", store=store.code, metrics=metrics),
        alert_id=min(s.id for s in target.alerts),
        creator_id=member.id,
        deadline=next_deadline(org, now),
        now=now,
        org=org,
    )
    for state in target.alerts:
        state.task_id = task.id
        state.updated_at = now
    await session.flush()
    log.info(
        "task %s created from alerts %s by member %s",
        task.id,
        [s.id for s in target.alerts],
        member.id,
    )
    return Outcome("done", owner.full_name, now, task.id)
