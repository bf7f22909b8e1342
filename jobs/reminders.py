"""The nudge and reminder jobs: each member still owing a report is told through the outbox.

Both have the ``JobHandler`` signature and queue their messages in the session of the job's run
(one transaction with the ``job_runs`` row). Dedupe keys are per business date and member, so
even a forced second run of a period cannot send anything twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.payloads import message_payload, with_note
from bot.domain.outbox import Priority
from bot.domain.working_days import is_working_day
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.services import connected_sources
from bot.services.alerts import deadline_of
from bot.services.reminders import business_date_of_run, missing_reports
from bot.views import discipline as views
from storage.repositories import outbox


async def _remind(session: AsyncSession, org: OrgConfig, at: datetime, *, nudge: bool) -> str:
    kind = "nudge" if nudge else "reminder"
    day = business_date_of_run(org, at)
    if not is_working_day(org.report, day):
        return f"{day.isoformat()} is not a working day: nothing to remind"
    missing = await missing_reports(session, org, day)
    if nudge:  # a connected store's data may still arrive: only those already due are nudged
        missing = connected_sources.due_by(org, missing, day, at)
    connected = connected_sources.expected_times(org)
    # Stale after the deadline (a nudge) or once it is past by more than the grace window (a
    # reminder): never sent hours late.
    deadline = deadline_of(org, day)
    expires_at = deadline if nudge else deadline + timedelta(hours=org.report.grace_hours)
    messages = []
    for item in missing:
        t = Translator(item.member.locale)
        text = views.reminder_text(
            item, day, t, nudge=nudge, deadline=org.report.deadline, connected=connected
        )
        payload = message_payload(text, views.reminder_keyboard(item, day, t))
        note = t("delivery.missed.reminder", day=views.day_text(day))
        messages.append(
            outbox.NewMessage(
                dedupe_key=f"{kind}:{day.isoformat()}:{item.member.id}",
                chat_id=item.member.telegram_id,
                kind=kind,
                payload=with_note(payload, note, t.locale),
                priority=Priority.REMINDER,
                expires_at=expires_at,
            )
        )
    # One multi-row INSERT per 500 messages: a 10,000-member fan-out is queued in a moment.
    queued = await outbox.enqueue_many(session, messages, now=at)
    return f"{queued} {kind}(s) queued for {day.isoformat()} ({len(missing)} member(s) missing)"


async def reminder_job(
    session: AsyncSession, org: OrgConfig, period: str, at: datetime
) -> str | None:
    """At the deadline: one message per member still missing a report, with a button per store."""
    return await _remind(session, org, at, nudge=False)


async def nudge_job(session: AsyncSession, org: OrgConfig, period: str, at: datetime) -> str | None:
    """Before the deadline (when configured): the same members, a gentler word."""
    return await _remind(session, org, at, nudge=True)
