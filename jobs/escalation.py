"""The escalation job: after the deadline, managers and the board learn who still owes a report.

It has the ``JobHandler`` signature and queues its messages in the session of the job's run (one
transaction with the ``job_runs`` row). Dedupe keys are per business date and recipient.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.payloads import message_payload, with_note
from bot.domain.outbox import Priority
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.services.reminders import business_date_of_run, check_day
from bot.views import discipline as views
from storage.repositories import discipline as rows
from storage.repositories import outbox


async def escalation_job(
    session: AsyncSession, org: OrgConfig, period: str, at: datetime
) -> str | None:
    """After the deadline: each department's managers get who is still missing (with how many
    working days in a row); the bod chat gets the coverage per department. Nobody missing: no
    message at all."""
    day = business_date_of_run(org, at)
    check = await check_day(session, org, day, at=at)
    if not check.working:
        return f"{day.isoformat()} is not a working day: nothing to escalate"
    if not check.missing:
        return f"everyone reported for {day.isoformat()}: nothing to escalate"
    queued = 0
    # News only on the day it is sent: after an outage into the next day it is not sent late.
    local_day = at.astimezone(org.tz).date()
    expires_at = datetime.combine(local_day + timedelta(days=1), time(0), tzinfo=org.tz)
    managers = await rows.department_managers(session)
    for department_id, missing in check.missing_by_department().items():
        for manager in managers.get(department_id, ()):
            t = Translator(manager.locale)
            name = check.department_name(department_id, t.locale)
            text = views.escalation_text(name, missing, day, t)
            note = t("delivery.missed.escalation", day=views.day_text(day))
            queued += await outbox.enqueue(
                session,
                dedupe_key=f"escalation:{day.isoformat()}:{manager.id}",
                chat_id=manager.telegram_id,
                kind="escalation",
                payload=with_note(message_payload(text), note, t.locale),
                priority=Priority.ESCALATION,
                now=at,
                expires_at=expires_at,
            )
    if org.chats.bod is not None:
        t = Translator(org.default_locale)
        queued += await outbox.enqueue(
            session,
            dedupe_key=f"escalation:{day.isoformat()}:bod",
            chat_id=org.chats.bod,
            kind="escalation",
            payload=with_note(
                message_payload(
                    views.coverage_text(check.coverage, day, t), thread_id=org.chats.bod_topic
                ),
                t("delivery.missed.escalation", day=views.day_text(day)),
                t.locale,
            ),
            priority=Priority.ESCALATION,
            now=at,
            expires_at=expires_at,
        )
    return f"{queued} escalation message(s) queued for {day.isoformat()}"
