"""/off: days off. Staff and managers ask; a manager of their department (or an admin) decides.

`/off` lists the member's upcoming days off; `/off 25/11-27/11 về quê` asks for days off.
The Approve / Reject buttons go to the approvers through the outbox and are re-checked on
arrival: a stale, repeated or foreign press changes nothing and says why.
"""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.domain.day_off_dates import EXAMPLES, MAX_AHEAD_DAYS, MAX_DAYS, DayOffError
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.roles import REPORTERS, Role
from bot.services import days_off as service
from bot.views import discipline as views
from handlers.filters import HasRole
from storage.models import Member

DECIDERS = (Role.MANAGER, Role.ADMIN)


def _error_text(error: DayOffError, t: Translator) -> str:
    reason = t(f"off.error.{error.message_key}", max_days=MAX_DAYS, max_ahead=MAX_AHEAD_DAYS)
    return t("off.error.example", reason=reason, examples=" · ".join(f"/off {e}" for e in EXAMPLES))


async def off_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    clock: Clock,
    t: Translator,
) -> None:
    if not command.args or not command.args.strip():
        rows = await service.upcoming_days_off(session, org, member, clock.now())
        await message.answer(views.upcoming_text(rows, t))
        return
    try:
        outcome = await service.request_days_off(session, org, member, command.args, clock.now())
    except DayOffError as error:
        await message.answer(_error_text(error, t))
        return
    await session.commit()  # asked for sure before saying so
    lines = []
    if outcome.created:
        key = "off.requested" if outcome.approvers else "off.requested_no_approver"
        lines.append(t(key, days=views.days_text(outcome.created, t)))
    if outcome.unchanged:
        lines.append(t("off.already_asked", days=views.days_text(outcome.unchanged, t)))
    await message.answer("\n".join(lines))


async def decision_pressed(
    query: CallbackQuery,
    callback_data: views.DayOffCallback,
    session: AsyncSession,
    member: Member,
    clock: Clock,
    t: Translator,
) -> None:
    if callback_data.action not in ("ok", "no"):
        await query.answer(t("callback.stale"))
        return
    outcome = await service.decide_day_off(
        session,
        member,
        callback_data.request,
        callback_data.stamp,
        callback_data.action == "ok",
        clock.now(),
    )
    if outcome.verdict in ("not_found", "own_request"):
        await query.answer(t(f"off.decide.{outcome.verdict}"), show_alert=True)
        return
    days = views.days_text(outcome.days, t)
    name = escape(outcome.member_name)
    if outcome.verdict == "already_decided":
        await query.answer(
            t(
                "off.decide.already",
                status=views.status_mark(outcome.status, t),
                manager=outcome.decided_by,
            ),
            show_alert=True,
        )
        return
    await session.commit()  # decided for sure before showing it
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(
            t(
                f"off.decide.done.{outcome.status}",
                name=name,
                days=days,
                manager=escape(outcome.decided_by),
            )
        )


def create_router() -> Router:
    router = Router(name="days_off")
    router.message.filter(F.chat.type == "private", HasRole(*REPORTERS))
    router.callback_query.filter(HasRole(*DECIDERS))
    router.message.register(off_command, Command("off"), StateFilter("*"))
    router.callback_query.register(decision_pressed, views.DayOffCallback.filter())
    return router
