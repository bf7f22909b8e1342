"""KPI breach alerts: evaluate the org's rules, keep one state per (rule, subject, period), and
queue a message only when a state changes.

Everything happens in the caller's transaction (a job run, or the update that saved a late
report), so the states and the outbox rows they cause are written together or not at all.
One message per store and recipient gathers the store's new breaches (a small chart with the
text as its caption when it fits; the text alone otherwise), with Acknowledge / Snooze / Create
task buttons; a resolved breach sends a short "back on track". The states, their recipients
by level and the messages' batches are shared with the campaign rules
(``bot.services.campaign_alerts``, subject ``campaign:<code>``); escalation of both is
``bot.services.alert_escalation``.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.charts.codec import chart_to_json
from bot.delivery.payloads import chart_photo_payload, message_payload, with_note
from bot.domain.alerts import AlertStatus, Finding, Notice, escalation_chain, transition
from bot.domain.outbox import Priority
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.org.sections import AlertRule
from bot.services import alert_charts
from bot.services.alert_facts import Evaluated, applies, evaluate_rule, load_facts
from bot.services.reporting import default_business_date
from bot.views import alerts as texts
from storage.models import AlertState, Member, Store
from storage.repositories import alerts as repo
from storage.repositories import catalog, outbox

log = logging.getLogger(__name__)


# --- time ---------------------------------------------------------------------------------------


def deadline_of(org: OrgConfig, day: date) -> datetime:
    """When the report of business date ``day`` is due (UTC)."""
    due_day = day + timedelta(days=1) if org.report.covers == "previous_day" else day
    return datetime.combine(due_day, org.report.deadline, tzinfo=org.tz)


def latest_due_date(org: OrgConfig, now: datetime) -> date:
    """The latest business date whose deadline has passed at ``now``."""
    day = default_business_date(org, now)
    return day if now >= deadline_of(org, day) else day - timedelta(days=1)


def next_deadline(org: OrgConfig, now: datetime) -> datetime:
    """Tomorrow's report deadline in the org timezone (the end of a snooze)."""
    tomorrow = now.astimezone(org.tz).date() + timedelta(days=1)
    return datetime.combine(tomorrow, org.report.deadline, tzinfo=org.tz)


# --- recipients ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    chat_id: int
    locale: str
    member_id: int | None = None
    topic: int | None = None  # the forum topic of a group chat


Chats = dict[int, tuple[Recipient, set[str]]]


@dataclass
class RecipientBook:
    """Who stands at each level for a store: its owners, its department managers, the board."""

    owners: dict[int, list[Member]]
    managers: dict[int, list[Member]]
    bod: list[Recipient]

    def of(self, store: Store, level: str) -> list[Recipient]:
        if level == "bod":
            return list(self.bod)
        if level == "owners":
            people = self.owners.get(store.id, [])
        elif store.department_id is not None:
            people = self.managers.get(store.department_id, [])
        else:
            people = []
        return reachable(people)

    def chats(self, store: Store, levels: Iterable[str]) -> Chats:
        return chats_at(lambda level: self.of(store, level), levels)


def chats_at(of: Callable[[str], list[Recipient]], levels: Iterable[str]) -> Chats:
    """chat id -> (recipient, the levels it receives for), each chat once."""
    found: Chats = {}
    for level in levels:
        for recipient in of(level):
            found.setdefault(recipient.chat_id, (recipient, set()))[1].add(level)
    return found


def reachable(members: Iterable[Member]) -> list[Recipient]:
    return [Recipient(m.telegram_id, m.locale, m.id) for m in members if m.reachable]


async def board(session: AsyncSession, org: OrgConfig) -> list[Recipient]:
    """The board's group chat, or its members one by one when there is none."""
    if org.chats.bod is not None:
        return [Recipient(org.chats.bod, org.default_locale, topic=org.chats.bod_topic)]
    return reachable(await repo.members_with_roles(session, ["bod"]))


async def recipient_book(
    session: AsyncSession, org: OrgConfig, stores: Sequence[Store]
) -> RecipientBook:
    departments = {s.department_id for s in stores if s.department_id is not None}
    return RecipientBook(
        owners=await repo.store_owners(session, [s.id for s in stores]),
        managers=await repo.department_managers(session, departments),
        bod=await board(session, org),
    )


def levels_of(rule: AlertRule, state: AlertState) -> tuple[str, ...]:
    """The rule's recipients plus the levels the alert was escalated to."""
    return (*rule.recipients, *escalation_chain(rule.recipients)[: state.escalation_level])


# --- evaluation ---------------------------------------------------------------------------------


@dataclass
class AlertRun:
    opened: int = 0
    resolved: int = 0
    queued: int = 0
    stores: int = 0

    @property
    def text(self) -> str:
        return (
            f"{self.stores} store(s) checked, {self.opened} alert(s) opened, "
            f"{self.resolved} resolved, {self.queued} message(s) queued"
        )

    def add(self, other: AlertRun) -> None:
        self.opened += other.opened
        self.resolved += other.resolved
        self.queued += other.queued
        self.stores = max(self.stores, other.stores)


@dataclass
class _Changes:
    opened: list[AlertState] = field(default_factory=list)
    resolved: list[AlertState] = field(default_factory=list)


@dataclass(frozen=True)
class Subject:
    """What an alert state is about: ``store:<id>`` or ``campaign:<code>``, its period, and
    the detail a finding writes into it."""

    key: str
    period: str
    fields: Callable[[Finding], dict[str, object]]
    store_id: int | None = None


def _fields(evaluated: Evaluated, finding: Finding) -> dict[str, object]:
    rule = evaluated.rule
    fields: dict[str, object] = {
        "type": rule.type,
        "metric": rule.metric,
        "numbers": dict(finding.numbers),
        "day": evaluated.day.isoformat(),
        **evaluated.extra,
    }
    if rule.type == "daily":
        fields["direction"] = getattr(rule, "direction", "below")
    return fields


def advance(
    row: AlertState | None,
    rule: AlertRule,
    subject: Subject,
    finding: Finding | None,
    now: datetime,
) -> tuple[AlertState | None, Notice | None]:
    """The alert state of ``rule`` on ``subject`` after a new ``finding`` (a new row when it
    opens), and what its recipients are told: "opened", "resolved" or nothing."""
    current = AlertStatus(row.state) if row is not None else None
    step = transition(current, finding, now, row.snoozed_until if row else None)
    if step.state is None:
        return None, None
    if row is None:
        row = AlertState(
            rule_id=rule.id,
            subject_key=subject.key,
            store_id=subject.store_id,
            period=subject.period,
            severity=rule.severity,
            state=step.state.value,
            detail={},
            opened_at=now,
            updated_at=now,
            escalation_level=0,
        )
    if finding is not None and (finding.breached or step.notice):
        row.detail = {**(row.detail or {}), **subject.fields(finding)}
    if step.notice == "opened":
        row.state, row.notified_state = AlertStatus.OPEN.value, AlertStatus.OPEN.value
        row.opened_at, row.updated_at = now, now
        row.severity = rule.severity
        row.acknowledged_by_id = row.acknowledged_at = row.snoozed_until = row.resolved_at = None
        row.escalation_level, row.escalated_at = 0, None
    elif step.notice == "resolved":
        row.state = row.notified_state = AlertStatus.RESOLVED.value
        row.resolved_at = row.updated_at = now
    return row, step.notice


def _apply(
    row: AlertState | None, evaluated: Evaluated, now: datetime
) -> tuple[AlertState | None, Notice | None]:
    store = evaluated.store
    subject = Subject(f"store:{store.id}", evaluated.period, partial(_fields, evaluated), store.id)
    return advance(row, evaluated.rule, subject, evaluated.finding, now)


async def _evaluations(
    session: AsyncSession,
    org: OrgConfig,
    stores: Sequence[Store],
    day: date,
    rules: Sequence[AlertRule],
) -> list[Evaluated]:
    facts = await load_facts(session, org, stores, day, rules)
    found = [
        evaluate_rule(org, rule, store, facts)
        for store in stores
        for rule in rules
        if applies(org, rule, store)
    ]
    # A missing-data breach that is still going on keeps the period it started with; older
    # gaps of the same rule (a report arrived since) are closed.
    extra: list[Evaluated] = []
    for rule in (r for r in rules if r.type == "missing_data"):
        mine = {e.store.id: e for e in found if e.rule.id == rule.id}
        for row in await repo.active_of_rule(session, rule.id, mine):
            current = mine[row.store_id or 0]
            if (
                current.finding is not None
                and current.finding.breached
                and (current.extra.get("capped") and row.period < current.period)
            ):
                found[found.index(current)] = Evaluated(
                    rule, current.store, row.period, current.finding, day, current.extra
                )
            elif row.period != current.period:
                cleared = Finding(False, True, {"days": 0.0})
                extra.append(Evaluated(rule, current.store, row.period, cleared, day, {}))
    return found + extra


async def evaluate_alerts(
    session: AsyncSession,
    org: OrgConfig,
    day: date,
    now: datetime,
    *,
    store_ids: Iterable[int] | None = None,
    rule_types: Iterable[str] | None = None,
) -> AlertRun:
    """Evaluate the rules for ``day`` (all stores, or ``store_ids``), record the states and
    queue the messages of every change."""
    wanted = set(store_ids) if store_ids is not None else None
    stores = [s for s in await catalog.list_stores(session) if wanted is None or s.id in wanted]
    kinds = set(rule_types) if rule_types is not None else None
    rules = [r for r in org.alert_rules if kinds is None or r.type in kinds]
    stores = [s for s in stores if any(applies(org, r, s) for r in rules)]
    run = AlertRun(stores=len(stores))
    if not stores or not rules:
        return run
    evaluations = await _evaluations(session, org, stores, day, rules)
    existing = await repo.states_of_stores(
        session, [s.id for s in stores], {e.period for e in evaluations}
    )
    changes: dict[int, _Changes] = defaultdict(_Changes)
    for evaluated in evaluations:
        key = (evaluated.rule.id, evaluated.store.id, evaluated.period)
        row, notice = _apply(existing.get(key), evaluated, now)
        if row is None:
            continue
        if key not in existing:
            existing[key] = await repo.add_state(session, row)
        if notice == "opened":
            changes[evaluated.store.id].opened.append(row)
        elif notice == "resolved":
            changes[evaluated.store.id].resolved.append(row)
    await session.flush()
    if not changes:
        return run
    book = await recipient_book(session, org, stores)
    by_id = {s.id: s for s in stores}
    for store_id, change in changes.items():
        store = by_id[store_id]
        run.opened += len(change.opened)
        run.resolved += len(change.resolved)
        if change.opened:
            run.queued += await _queue_opened(session, org, book, store, change.opened, day, now)
        if change.resolved:
            run.queued += await queue_resolved(
                session,
                org,
                partial(book.chats, store),
                str(store.id),
                change.resolved,
                partial(_recovery, org, store),
                now,
            )
    log.info("alerts for %s: %s", day, run.text)
    return run


def _recovery(org: OrgConfig, store: Store, states: Sequence[AlertState], t: Translator) -> str:
    return texts.recovery_text(org, states, store.code, store.name, t)


# --- messages -----------------------------------------------------------------------------------


def stamp(states: Sequence[AlertState], attribute: str) -> str:
    """A short digest of the states and the moment they changed (part of a dedupe key)."""
    parts = ",".join(
        f"{s.id}@{int(getattr(s, attribute).timestamp())}"
        for s in sorted(states, key=lambda s: s.id)
    )
    return hashlib.sha1(parts.encode()).hexdigest()[:16]


def batch_of(state: AlertState) -> int:
    """The first state of the batch the alert was announced with (its outbox subject)."""
    batch = (state.detail or {}).get("batch")
    return batch if isinstance(batch, int) else state.id


def start_batch(states: Sequence[AlertState]) -> int:
    """Mark ``states`` as announced in one message; returns its lead (the buttons' id)."""
    lead = min(s.id for s in states)
    for state in states:
        state.detail = {**(state.detail or {}), "batch": lead}
    return lead


def _rule(org: OrgConfig, state: AlertState) -> AlertRule | None:
    return org.alert_rule(state.rule_id)


def readers(
    org: OrgConfig, states: Sequence[AlertState], chats: Callable[[Iterable[str]], Chats]
) -> list[tuple[Recipient, list[AlertState]]]:
    """Each chat the states go to, with the states its levels receive."""
    levels = {level for s in states if (r := _rule(org, s)) for level in levels_of(r, s)}
    found = []
    for recipient, chat_levels in chats(levels).values():
        mine = [s for s in states if (r := _rule(org, s)) and chat_levels & set(levels_of(r, s))]
        if mine:
            found.append((recipient, mine))
    return found


async def _queue_opened(
    session: AsyncSession,
    org: OrgConfig,
    book: RecipientBook,
    store: Store,
    states: list[AlertState],
    day: date,
    now: datetime,
) -> int:
    lead = start_batch(states)
    key = stamp(states, "opened_at")
    charts: dict[str, dict[str, Any] | None] = {}
    queued = 0
    for recipient, mine in readers(org, states, partial(book.chats, store)):
        t = Translator(recipient.locale)
        if t.locale not in charts:
            data = await alert_charts.alert_chart_data(session, org, store, mine, day, t)
            charts[t.locale] = chart_to_json("alert", data) if data is not None else None
        chart = charts[t.locale]
        markup = texts.keyboard("b", lead, t, with_task=True)
        caption = texts.alert_text(org, mine, store.code, store.name, day, t, texts.TEXT_LIMIT)
        thread = recipient.topic
        if chart is not None and len(caption) <= texts.CAPTION_LIMIT:
            payload = chart_photo_payload(
                chart, caption, markup, filename=f"alert-{store.code}.png", thread_id=thread
            )
        else:
            payload = message_payload(caption, markup, thread_id=thread)
        note = t("delivery.missed.alert", store=store.code, day=texts.day_text(day))
        queued += await queue_alert(
            session, f"alert:{store.id}:{key}", recipient, with_note(payload, note, t.locale),
            lead, now,
        )  # fmt: skip
    return queued


async def queue_alert(
    session: AsyncSession,
    dedupe: str,
    recipient: Recipient,
    payload: dict[str, Any],
    lead: int,
    now: datetime,
) -> int:
    """One alert message of batch ``lead`` to ``recipient`` (a newer one of the batch to the
    same chat replaces it unsent)."""
    return await outbox.enqueue(
        session,
        dedupe_key=f"{dedupe}:{recipient.chat_id}",
        chat_id=recipient.chat_id,
        kind="alert",
        payload=payload,
        priority=Priority.ALERT,
        now=now,
        subject=f"alert:{lead}",
    )


async def queue_resolved(
    session: AsyncSession,
    org: OrgConfig,
    chats: Callable[[Iterable[str]], Chats],
    tag: str,
    states: list[AlertState],
    text: Callable[[Sequence[AlertState], Translator], str],
    now: datetime,
) -> int:
    """The "back on track" message of ``states`` to each chat they went to; an announcement
    of them not yet sent is dropped. ``tag`` names the subject in the dedupe key."""
    key = stamp(states, "resolved_at")
    queued = 0
    for recipient, mine in readers(org, states, chats):
        queued += await outbox.enqueue(
            session,
            dedupe_key=f"alert-ok:{tag}:{key}:{recipient.chat_id}",
            chat_id=recipient.chat_id,
            kind="alert",
            payload=message_payload(
                text(mine, Translator(recipient.locale)), thread_id=recipient.topic
            ),
            priority=Priority.ALERT,
            now=now,
            replaces=[f"alert:{batch_of(s)}" for s in mine],  # an alert not yet sent is stale
        )
    return queued
