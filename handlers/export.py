"""/export [YYYY-MM]: the month's numbers and plans as a formatted .xlsx, within the scope."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.types import BufferedInputFile, Message

from bot.domain.months import YearMonth, parse_month
from bot.services.export import build_export, is_future
from bot.services.export_request import ExportRequest
from bot.services.reporting import default_business_date
from bot.services.scope import scope_of
from bot.views.safe import user_text
from handlers.context import Ctx
from handlers.filters import IsMember


async def export_command(message: Message, command: CommandObject, ctx: Ctx) -> None:
    t = ctx.t
    today = ctx.now().astimezone(ctx.tz).date()
    # The latest day with numbers (yesterday when reports cover the previous day): plans count
    # "to date" up to it, and on the 1st the default month is the one it belongs to.
    latest = default_business_date(ctx.org, ctx.now())
    default = YearMonth.of(latest)
    text = (command.args or "").strip()
    month = parse_month(text) if text else default
    if month is None:
        await message.answer(t("export.bad_month", value=user_text(text, 32), example=str(default)))
        return
    if is_future(month, today):
        await message.answer(t("export.future", month=month.label(), example=str(default)))
        return
    await ctx.bot.send_chat_action(message.chat.id, "upload_document")
    scope = await scope_of(ctx.session, ctx.member)
    request = ExportRequest(org=ctx.org, scope=scope, month=month, today=latest, t=t)
    export = await build_export(ctx.session, request)
    if export is None:
        await message.answer(t("export.empty", month=month.label()))
        return
    await message.answer_document(
        BufferedInputFile(export.content, filename=export.file_name),
        caption=t("export.caption", month=month.label(), sheets=", ".join(export.sheets)),
    )


def create_router() -> Router:
    router = Router(name="export")
    router.message.filter(F.chat.type == "private", IsMember())
    router.message.register(export_command, Command("export"), StateFilter("*"))
    return router
