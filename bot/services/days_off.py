"""Days off: a member asks (`/off 25/11-27/11 về quê`), a manager of their department decides.

The request and the message to the approvers are written in one transaction (outbox); the
decision is re-checked on arrival (who presses, and whether the request is still pending) and
the member is told through the outbox as well.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.payloads import message_payload
from bot.domain.day_off_dates import DayOffRequest, check_days, parse_days_off
from bot.domain.outbox import Priority
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.roles import Role
from bot.services.scope import scope_of
from bot.views import discipline as views
from bot.views.safe import user_text
from storage.models import DayOff, Member
from storage.repositories import days_off, outbox
from storage.repositories.members import managers_or_admins

log = logging.getLogger(__name__)


def local_today(org: OrgConfig, now: datetime) -> date:
    return now.astimezone(org.tz).date()


@dataclass(frozen=True)
class RequestOutcome:
    request: DayOffRequest
    created: tuple[date, ...]  # days asked now
    unchanged: tuple[date, ...]  # already pending or approved
    approvers: int  # how many people were asked to decide


async def request_days_off(
    session: AsyncSession, org: OrgConfig, member: Member, text: str, now: datetime
) -> RequestOutcome:
    """Record the days ``text`` names as pending and ask the approvers (raises ``DayOffError``)."""
    today = local_today(org, now)
    request = parse_days_off(text, today)
    check_days(request.days, today)
    rows = await days_off.request_days(session, member.id, request.days, request.reason, now)
    created = tuple(row.day for row in rows)
    unchanged = tuple(day for day in request.days if day not in created)
    approvers = await managers_or_admins(session, member.id, member.department_id) if rows else []
    stamp = days_off.request_stamp(rows[0]) if rows else 0
    for approver in approvers:
        t = Translator(approver.locale)
        await outbox.enqueue(
            session,
            dedupe_key=f"dayoff:request:{rows[0].id}:{stamp}:{approver.id}",
            chat_id=approver.telegram_id,
            kind="day_off",
            payload=message_payload(
                views.day_off_request_text(member.full_name, created, request.reason, t),
                views.day_off_keyboard(rows[0].id, stamp, t),
            ),
            priority=Priority.NOTICE,
            now=now,
        )
    log.info("day off requested member=%s days=%s approvers=%s", member.id, created, len(approvers))
    return RequestOutcome(request, created, unchanged, len(approvers))


async def upcoming_days_off(
    session: AsyncSession, org: OrgConfig, member: Member, now: datetime
) -> Sequence[DayOff]:
    return await days_off.upcoming(session, member.id, local_today(org, now))


Verdict = Literal["decided", "already_decided", "not_found", "own_request"]


@dataclass(frozen=True)
class DecisionOutcome:
    verdict: Verdict
    member_name: str = ""
    days: tuple[date, ...] = ()
    status: str = ""
    decided_by: str = ""


async def _may_decide(session: AsyncSession, decider: Member, requester: Member) -> bool:
    """Admins; managers of the requester's department."""
    role = Role(decider.role)
    if role is Role.ADMIN:
        return True
    if role is not Role.MANAGER:
        return False
    scope = await scope_of(session, decider)
    return scope.sees_member(requester.id) and requester.department_id == decider.department_id


async def decide_day_off(
    session: AsyncSession,
    decider: Member,
    request_id: int,
    stamp: int,
    approve: bool,
    now: datetime,
) -> DecisionOutcome:
    """Approve or reject a whole request, once; a stale or foreign press changes nothing."""
    first = await days_off.get(session, request_id)
    if first is not None and days_off.request_stamp(first) != stamp:
        first = None  # the day was asked again since: this button belongs to an old request
    requester = await session.get(Member, first.member_id) if first is not None else None
    if first is None or requester is None:
        return DecisionOutcome("not_found")
    if decider.id == requester.id and Role(decider.role) is not Role.ADMIN:
        return DecisionOutcome("own_request")
    if not await _may_decide(session, decider, requester):
        # Out of scope looks exactly like a request that does not exist.
        return DecisionOutcome("not_found")
    rows = await days_off.request_rows(session, first)
    days = tuple(row.day for row in rows)
    status = days_off.APPROVED if approve else days_off.REJECTED
    changed = await days_off.decide(session, rows, status, decider.id, now)
    if changed == 0:
        decided = next((row for row in rows if row.decided_by_id is not None), None)
        by = await session.get(Member, decided.decided_by_id) if decided else None
        return DecisionOutcome(
            "already_decided",
            requester.full_name,
            days,
            decided.status if decided else first.status,
            by.full_name if by else "?",
        )
    t = Translator(requester.locale)
    await outbox.enqueue(
        session,
        dedupe_key=f"dayoff:decided:{first.id}:{stamp}",
        chat_id=requester.telegram_id,
        kind="day_off",
        payload=message_payload(
            t(
                f"off.decided.{status}",
                manager=user_text(decider.full_name),
                days=views.days_text(days, t),
            )
        ),
        priority=Priority.NOTICE,
        now=now,
    )
    log.info("day off request=%s %s by member=%s", first.id, status, decider.id)
    return DecisionOutcome("decided", requester.full_name, days, status, decider.full_name)
