"""Escalation of critical alerts nobody acknowledged: each goes to the next level of its rule's
chain (owners -> manager -> bod) once the rule's delay has passed, a store's and a campaign's
alike (``bot.domain.alerts.escalation_due`` decides; one level per delay, never twice)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.payloads import Markup, message_payload
from bot.domain.alerts import AlertStatus, escalation_due
from bot.domain.outbox import Priority
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.org.sections import AlertRule
from bot.services.alerts import Recipient, RecipientBook, batch_of, recipient_book
from bot.services.campaign_alerts import CampaignAudience, audience_of_state, code_of
from bot.views import alerts as texts
from bot.views import campaign_alerts as campaign_texts
from storage.models import AlertState, Store
from storage.repositories import alerts as repo
from storage.repositories import catalog, outbox

log = logging.getLogger(__name__)

Render = Callable[[Translator], tuple[str, Markup]]


class _Levels:
    """Who stands at a level for the alerts being escalated, read once per run."""

    def __init__(self, session: AsyncSession, org: OrgConfig) -> None:
        self.session, self.org = session, org
        self._stores: dict[int, Store] | None = None
        self._book: RecipientBook | None = None
        self._campaigns: dict[str, CampaignAudience | None] = {}

    async def store_level(
        self, state: AlertState, rule: AlertRule, level: str
    ) -> tuple[list[Recipient], Render] | None:
        if self._stores is None or self._book is None:
            stores = await catalog.list_stores(self.session, active_only=False)
            self._stores = {s.id: s for s in stores}
            self._book = await recipient_book(self.session, self.org, stores)
        store = self._stores.get(state.store_id or 0)
        if store is None:
            return None
        minutes = rule.escalate_after_minutes or 0

        def render(t: Translator) -> tuple[str, Markup]:
            text = texts.escalation_text(self.org, state, store.code, store.name, minutes, t)
            return text, texts.keyboard("a", state.id, t, with_task=True)

        return self._book.of(store, level), render

    async def campaign_level(
        self, state: AlertState, rule: AlertRule, level: str, code: str
    ) -> tuple[list[Recipient], Render] | None:
        if code not in self._campaigns:
            self._campaigns[code] = await audience_of_state(self.session, self.org, state)
        audience = self._campaigns[code]
        if audience is None:
            return None
        info, minutes = audience.info, rule.escalate_after_minutes or 0

        def render(t: Translator) -> tuple[str, Markup]:
            text = campaign_texts.escalation_text(self.org, info.code, info.name, state, minutes, t)
            return text, texts.keyboard("a", state.id, t, with_task=False)

        return audience.of(level), render

    async def of(
        self, state: AlertState, rule: AlertRule, level: str
    ) -> tuple[list[Recipient], Render] | None:
        code = code_of(state)
        if code is not None:
            return await self.campaign_level(state, rule, level, code)
        return await self.store_level(state, rule, level)


async def escalate_alerts(session: AsyncSession, org: OrgConfig, now: datetime) -> int:
    """Send each unacknowledged critical alert to the next level once its delay has passed;
    returns the messages queued."""
    due: list[tuple[AlertState, AlertRule, str]] = []
    for state in await repo.open_critical(session):
        rule = org.alert_rule(state.rule_id)
        if rule is None:
            continue
        level = escalation_due(
            severity=state.severity,
            state=AlertStatus(state.state),
            recipients=rule.recipients,
            escalate_after_minutes=rule.escalate_after_minutes,
            level=state.escalation_level,
            since=state.escalated_at or state.opened_at,
            now=now,
        )
        if level is not None:
            due.append((state, rule, level))
    if not due:
        return 0
    levels = _Levels(session, org)
    queued = 0
    for state, rule, level in due:
        state.escalation_level += 1
        state.escalated_at = state.updated_at = now
        found = await levels.of(state, rule, level)
        if found is None:
            continue
        recipients, render = found
        for recipient in recipients:
            text, markup = render(Translator(recipient.locale))
            queued += await outbox.enqueue(
                session,
                dedupe_key=(
                    f"alert-esc:{state.id}:{state.escalation_level}:"
                    f"{int(state.opened_at.timestamp())}:{recipient.chat_id}"
                ),
                chat_id=recipient.chat_id,
                kind="alert",
                payload=message_payload(text, markup, thread_id=recipient.topic),
                priority=Priority.ALERT,
                now=now,
                subject=f"alert:{batch_of(state)}",
            )
    await session.flush()
    log.info("alert escalation: %s alert(s) escalated, %s message(s)", len(due), queued)
    return queued
