"""Member basics: /help for the member's role, /lang, and /cancel from any state."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.i18n import LOCALES, Translator
from bot.menu import set_member_menu
from bot.roles import commands_for
from bot.services.members import set_locale
from bot.views.common import help_text
from bot.views.language import LangCallback, language_keyboard
from handlers.context import Ctx
from handlers.filters import IsMember


async def cancel(message: Message, state: FSMContext, ctx: Ctx) -> None:
    if await state.get_state() is None:
        await message.answer(ctx.t("cancel.nothing"))
        return
    await state.clear()
    await message.answer(ctx.t("cancel.done"))


async def help_command(message: Message, ctx: Ctx) -> None:
    commands = commands_for(ctx.member.role)
    await message.answer(help_text(ctx.member, commands, ctx.t))


async def lang_command(message: Message, ctx: Ctx) -> None:
    await message.answer(ctx.t("lang.choose"), reply_markup=language_keyboard(LOCALES))


async def lang_chosen(query: CallbackQuery, callback_data: LangCallback, ctx: Ctx) -> None:
    if callback_data.locale not in LOCALES:  # forged data
        await query.answer(ctx.t("callback.stale"))
        return
    await set_locale(ctx.session, ctx.member, callback_data.locale)
    await ctx.save_before_announcing()
    new_t = Translator(callback_data.locale)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(new_t("lang.changed"))
    await set_member_menu(ctx.bot, ctx.member)


def create_router() -> Router:
    router = Router(name="common")
    router.message.filter(IsMember())
    router.callback_query.filter(IsMember())
    router.message.register(cancel, Command("cancel"), StateFilter("*"))
    router.message.register(help_command, Command("help"), StateFilter("*"))
    router.message.register(
        lang_command, Command("lang"), F.chat.type == "private", StateFilter("*")
    )
    router.callback_query.register(lang_chosen, LangCallback.filter())
    return router
