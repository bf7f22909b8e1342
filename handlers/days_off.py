"""/off: days off. Staff and managers ask; a manager of their department (or an admin) decides.

`/off` lists the member's upcoming days off; `/off 25/11-27/11 về quê` asks for days off.
The Approve / Reject buttons go to the approvers through the outbox and are re-checked on
arrival: a stale, repeated or foreign press changes nothing and says why.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.types import CallbackQuery, Message

from bot.domain.day_off_dates import DayOffError
from bot.roles import REPORTERS, Role
from bot.services import days_off as service
from bot.views import discipline as views
from handlers.context import Ctx
from handlers.filters import HasRole

DECIDERS = (Role.MANAGER, Role.ADMIN)


async def off_command(message: Message, command: CommandObject, ctx: Ctx) -> None:
    if not command.args or not command.args.strip():
        rows = await service.upcoming_days_off(ctx.session, ctx.org, ctx.member, ctx.now())
        await message.answer(views.upcoming_text(rows, ctx.t))
        return
    try:
        outcome = await service.request_days_off(
            ctx.session, ctx.org, ctx.member, command.args, ctx.now()
        )
    except DayOffError as error:
        await message.answer(views.day_off_error_text(error, ctx.t))
        return
    await ctx.save_before_announcing()  # asked for sure before saying so
    await message.answer(
        views.days_off_asked_text(
            outcome.created, outcome.unchanged, bool(outcome.approvers), ctx.t
        )
    )


async def decision_pressed(
    query: CallbackQuery, callback_data: views.DayOffCallback, ctx: Ctx
) -> None:
    t = ctx.t
    if callback_data.action not in ("ok", "no"):
        await query.answer(t("callback.stale"))
        return
    outcome = await service.decide_day_off(
        ctx.session,
        ctx.member,
        callback_data.request,
        callback_data.stamp,
        callback_data.action == "ok",
        ctx.now(),
    )
    if outcome.verdict in ("not_found", "own_request"):
        await query.answer(t(f"off.decide.{outcome.verdict}"), show_alert=True)
        return
    if outcome.verdict == "already_decided":
        text = views.already_decided_text(outcome.status, outcome.decided_by, t)
        await query.answer(text, show_alert=True)
        return
    await ctx.save_before_announcing()  # decided for sure before showing it
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(
            views.day_off_decided_text(
                outcome.status, outcome.member_name, outcome.days, outcome.decided_by, t
            )
        )


def create_router() -> Router:
    router = Router(name="days_off")
    router.message.filter(F.chat.type == "private", HasRole(*REPORTERS))
    router.callback_query.filter(HasRole(*DECIDERS))
    router.message.register(off_command, Command("off"), StateFilter("*"))
    router.callback_query.register(decision_pressed, views.DayOffCallback.filter())
    return router
