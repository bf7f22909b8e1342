"""Campaign pacing alerts: the org file's pacing rules scoped to a campaign, with the store
alerts' states, recipients by level, buttons and escalation (``bot.services.alerts``).

One state per rule and campaign (subject ``campaign:<code>``, period: the campaign's first day,
as a store's pacing state lives for its plan's month): opened when the campaign falls behind its
target's pace (on the cost metric of a campaign with a budget: spends it faster than the time
passes), resolved when it is clearly back, and a message only when that changes. The levels:
``owners`` the campaign's owners, ``manager`` the managers of the departments of its stores,
``bod`` the board.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.payloads import message_payload, with_note
from bot.domain.alerts import Finding
from bot.domain.campaigns import CampaignInfo, PaceCheck, pace_check
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.org.sections import PacingRule
from bot.services import campaigns
from bot.services.alerts import (
    AlertRun,
    Chats,
    Recipient,
    Subject,
    advance,
    board,
    chats_at,
    queue_alert,
    queue_resolved,
    reachable,
    readers,
    stamp,
    start_batch,
)
from bot.views import alerts as alert_views
from bot.views import campaign_alerts as views
from storage.models import AlertState, Member
from storage.repositories import alerts as repo
from storage.repositories import catalog

log = logging.getLogger(__name__)
PREFIX = "campaign:"


def subject_key(code: str) -> str:
    return f"{PREFIX}{code}"


def code_of(state: AlertState) -> str | None:
    """The campaign a state belongs to (None: a store's)."""
    key = state.subject_key
    return key.removeprefix(PREFIX) if key.startswith(PREFIX) else None


def campaign_rules(org: OrgConfig) -> dict[str, list[PacingRule]]:
    """Campaign code -> the pacing rules scoped to it, in the org file's order."""
    found: dict[str, list[PacingRule]] = {}
    for rule in org.alert_rules:
        if isinstance(rule, PacingRule) and rule.campaign is not None:
            found.setdefault(rule.campaign, []).append(rule)
    return found


@dataclass(frozen=True)
class CampaignAudience:
    """Who stands at each level for a campaign."""

    info: CampaignInfo
    owners: tuple[Member, ...]
    managers: tuple[Member, ...]
    bod: tuple[Recipient, ...]

    def of(self, level: str) -> list[Recipient]:
        if level == "bod":
            return list(self.bod)
        return reachable(self.owners if level == "owners" else self.managers)

    def chats(self, levels: Iterable[str]) -> Chats:
        return chats_at(self.of, levels)

    def is_owner(self, member_id: int) -> bool:
        return any(m.id == member_id for m in self.owners)

    def is_manager(self, member_id: int) -> bool:
        return any(m.id == member_id for m in self.managers)


async def audience_of(
    session: AsyncSession, org: OrgConfig, info: CampaignInfo
) -> CampaignAudience:
    covered = set(info.store_codes)
    departments = {
        s.department_id
        for s in await catalog.list_stores(session)
        if s.code in covered and s.department_id is not None
    }
    by_department = await repo.department_managers(session, departments)
    managers = {m.id: m for people in by_department.values() for m in people}
    owners = {m.id: m for m in await campaigns.owner_members(session, info.owners)}
    return CampaignAudience(
        info,
        tuple(owners.values()),
        tuple(managers.values()),
        tuple(await board(session, org)),
    )


async def audience_of_state(
    session: AsyncSession, org: OrgConfig, state: AlertState
) -> CampaignAudience | None:
    """The audience of a campaign's alert; None when the campaign is gone (or it is a store's)."""
    code = code_of(state)
    info = await campaigns.by_code(session, code) if code is not None else None
    return await audience_of(session, org, info) if info is not None else None


# --- evaluation ---------------------------------------------------------------------------------


@dataclass
class CampaignRun(AlertRun):
    campaigns: int = 0

    @property
    def text(self) -> str:
        return (
            f"{self.campaigns} campaign(s) checked, {self.opened} alert(s) opened, "
            f"{self.resolved} resolved, {self.queued} message(s) queued"
        )


def _fields(
    info: CampaignInfo, rule: PacingRule, check: PaceCheck | None, day: date, finding: Finding
) -> dict[str, object]:
    return {
        "type": rule.type,
        "kind": check.kind if check is not None else "target",
        "metric": rule.metric,
        "campaign": info.code,
        "numbers": dict(finding.numbers),
        "day": day.isoformat(),
    }


async def evaluate_campaign_alerts(
    session: AsyncSession, org: OrgConfig, day: date, now: datetime
) -> CampaignRun:
    """Every campaign rule on the numbers up to ``day``: record the states and queue the
    messages of every change (in the caller's transaction)."""
    run = CampaignRun()
    for code, rules in campaign_rules(org).items():
        info = await campaigns.by_code(session, code)
        if info is None or info.status(day) != "running":
            continue  # before and after its days a campaign's rules cannot tell: states stay
        run.campaigns += 1
        totals = (await campaigns.campaign_totals(session, info, None, day)).totals
        key, period = subject_key(info.code), info.start.isoformat()
        existing = await repo.states_of_subject(session, key, [period])
        opened: list[AlertState] = []
        resolved: list[AlertState] = []
        for rule in rules:
            check = pace_check(info, totals, rule.metric, rule.threshold, day)
            row, notice = advance(
                existing.get((rule.id, period)),
                rule,
                Subject(key, period, partial(_fields, info, rule, check, day)),
                check.finding if check else None,
                now,
            )
            if row is None:
                continue
            if (rule.id, period) not in existing:
                existing[(rule.id, period)] = await repo.add_state(session, row)
            if notice == "opened":
                opened.append(row)
            elif notice == "resolved":
                resolved.append(row)
        await session.flush()
        if not opened and not resolved:
            continue
        audience = await audience_of(session, org, info)
        run.opened += len(opened)
        run.resolved += len(resolved)
        if opened:
            run.queued += await _queue_opened(session, org, audience, opened, day, now)
        if resolved:
            text = partial(views.recovery_text, org, info.code, info.name)
            run.queued += await queue_resolved(
                session, org, audience.chats, key, resolved, text, now
            )
    log.info("campaign alerts for %s: %s", day, run.text)
    return run


async def _queue_opened(
    session: AsyncSession,
    org: OrgConfig,
    audience: CampaignAudience,
    states: list[AlertState],
    day: date,
    now: datetime,
) -> int:
    """One message per chat with the campaign's new breaches, Acknowledge and Snooze below."""
    info = audience.info
    lead = start_batch(states)
    key = stamp(states, "opened_at")
    queued = 0
    for recipient, mine in readers(org, states, audience.chats):
        t = Translator(recipient.locale)
        text = views.alert_text(org, info.code, info.name, mine, day, t)
        markup = alert_views.keyboard("b", lead, t, with_task=False)
        payload = message_payload(text, markup, thread_id=recipient.topic)
        note = t("delivery.missed.alert", store=info.code, day=alert_views.day_text(day))
        queued += await queue_alert(
            session, f"alert:{subject_key(info.code)}:{key}", recipient,
            with_note(payload, note, t.locale), lead, now,
        )  # fmt: skip
    return queued
