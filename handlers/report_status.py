"""/status (who has reported) and /history (every revision of a report)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.types import Message

from bot.roles import Role
from bot.services.report_history import own_history, store_history
from bot.services.reporting import (
    default_business_date,
    parse_report_date,
    report_status,
    requested_date,
)
from bot.views import reports as views
from bot.views.safe import user_text
from handlers.context import Ctx
from handlers.filters import HasRole

STATUS_VIEWERS = (Role.MANAGER, Role.BOD, Role.ADMIN)
MYSELF = frozenset({"me", "toi", "tôi"})


async def status_command(message: Message, command: CommandObject, ctx: Ctx) -> None:
    default = default_business_date(ctx.org, ctx.now())
    day = requested_date(command.args, default)
    if day is None:
        await message.answer(ctx.t("status.usage", example=default.isoformat()))
        return
    statuses = await report_status(ctx.session, ctx.org, ctx.member, day)
    await message.answer(views.status_text(statuses, day, ctx.t))


async def history_command(message: Message, command: CommandObject, ctx: Ctx) -> None:
    """``/history <store code | me> [date]``"""
    t = ctx.t
    args = (command.args or "").split()
    if not args:
        await message.answer(t("history.usage"))
        return
    day = None
    if len(args) > 1:
        day = parse_report_date(args[1], default_business_date(ctx.org, ctx.now()))
        if day is None:
            await message.answer(t("history.usage"))
            return
    if args[0].lower() in MYSELF:
        history = await own_history(ctx.session, ctx.org, ctx.member, day)
        if history is None:
            await message.answer(t("history.usage"))
            return
    else:
        history = await store_history(ctx.session, ctx.org, ctx.member, args[0], day)
        if history is None:
            await message.answer(t("history.not_found", code=user_text(args[0], 64)))
            return
    text = views.history_text(history.label, history.entries, ctx.org, t, history.metric_order)
    await message.answer(text)


def create_router() -> Router:
    router = Router(name="report_status")
    router.message.filter(F.chat.type == "private")
    router.message.register(
        status_command, Command("status"), StateFilter("*"), HasRole(*STATUS_VIEWERS)
    )
    router.message.register(history_command, Command("history"), StateFilter("*"), HasRole(*Role))
    return router
