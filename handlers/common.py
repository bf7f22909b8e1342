"""Member basics: /help for the member's role, /lang, and /cancel from any state."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import LOCALES, Translator
from bot.menu import set_member_menu
from bot.roles import Role, commands_for
from bot.views.common import member_title
from handlers.filters import IsMember
from storage.models import Member
from storage.repositories.members import set_member_locale

LANGUAGE_NAMES = {"vi": "🇻🇳 Tiếng Việt", "en": "🇬🇧 English"}


class LangCallback(CallbackData, prefix="lang"):
    locale: str


async def cancel(message: Message, state: FSMContext, t: Translator) -> None:
    if await state.get_state() is None:
        await message.answer(t("cancel.nothing"))
        return
    await state.clear()
    await message.answer(t("cancel.done"))


async def help_command(message: Message, member: Member, t: Translator) -> None:
    lines = [t("help.header", title=member_title(member, t)), ""]
    lines += [f"/{name} — {t(f'cmd.{name}')}" for name in commands_for(Role(member.role))]
    lines += ["", t("help.footer")]
    await message.answer("\n".join(lines))


async def lang_command(message: Message, t: Translator) -> None:
    buttons = [
        [
            InlineKeyboardButton(
                text=LANGUAGE_NAMES[code], callback_data=LangCallback(locale=code).pack()
            )
        ]
        for code in LOCALES
    ]
    await message.answer(
        t("lang.choose"), reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons)
    )


async def lang_chosen(
    query: CallbackQuery,
    callback_data: LangCallback,
    member: Member,
    session: AsyncSession,
    bot: Bot,
    t: Translator,
) -> None:
    if callback_data.locale not in LOCALES:  # forged data
        await query.answer(t("callback.stale"))
        return
    await set_member_locale(session, member.id, callback_data.locale)
    member.locale = callback_data.locale
    await session.commit()
    new_t = Translator(callback_data.locale)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(new_t("lang.changed"))
    await set_member_menu(bot, member)


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
