"""The nudge, reminder and escalation jobs: who still owes a report, told through the outbox.

Each handler has the ``JobHandler`` signature and queues its messages in the session of the
job's run (one transaction with the ``job_runs`` row). Dedupe keys are per business date and
recipient, so even a forced second run of a period cannot send anything twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.payloads import message_payload
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.services.reminders import (
    business_date_of_run,
    check_day,
    missing_reports,
)
from bot.views import discipline as views
from storage.repositories import discipline as rows
from storage.repositories import outbox

log = logging.getLogger(__name__)

REMINDER_PRIORITY = 50
ESCALATION_PRIORITY = 40  # before plain reminders, after alerts


async def _remind(session: AsyncSession, org: OrgConfig, at: datetime, *, nudge: bool) -> str:
    kind = "nudge" if nudge else "reminder"
    day = business_date_of_run(org, at)
    if not org.report.is_working_day(day):
        return f"{day.isoformat()} is not a working day: nothing to remind"
    missing = await missing_reports(session, org, day)
    messages = []
    for item in missing:
        t = Translator(item.member.locale)
        text = views.reminder_text(item, day, t, nudge=nudge, deadline=org.report.deadline)
        messages.append(
            outbox.NewMessage(
                dedupe_key=f"{kind}:{day.isoformat()}:{item.member.id}",
                chat_id=item.member.telegram_id,
                kind=kind,
                payload=message_payload(text, views.reminder_keyboard(item, day, t)),
                priority=REMINDER_PRIORITY,
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


async def escalation_job(
    session: AsyncSession, org: OrgConfig, period: str, at: datetime
) -> str | None:
    """After the deadline: each department's managers get who is still missing (with how many
    working days in a row); the bod chat gets the coverage per department. Nobody missing: no
    message at all."""
    day = business_date_of_run(org, at)
    check = await check_day(session, org, day)
    if not check.working:
        return f"{day.isoformat()} is not a working day: nothing to escalate"
    if not check.missing:
        return f"everyone reported for {day.isoformat()}: nothing to escalate"
    queued = 0
    managers = await rows.department_managers(session)
    for department_id, missing in check.missing_by_department().items():
        for manager in managers.get(department_id, ()):
            t = Translator(manager.locale)
            name = check.department_name(department_id, t.locale)
            text = views.escalation_text(name, missing, day, t)
            queued += await outbox.enqueue(
                session,
                dedupe_key=f"escalation:{day.isoformat()}:{manager.id}",
                chat_id=manager.telegram_id,
                kind="escalation",
                payload=message_payload(text),
                priority=ESCALATION_PRIORITY,
                now=at,
            )
    if org.chats.bod is not None:
        t = Translator(org.default_locale)
        queued += await outbox.enqueue(
            session,
            dedupe_key=f"escalation:{day.isoformat()}:bod",
            chat_id=org.chats.bod,
            kind="escalation",
            payload=message_payload(views.coverage_text(check.coverage, day, t)),
            priority=ESCALATION_PRIORITY,
            now=at,
        )
    return f"{queued} escalation message(s) queued for {day.isoformat()}"
