"""The Telegram command menu, per role and language (setMyCommands with scopes)."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from bot.i18n import DEFAULT_LOCALE, LOCALES, Translator
from bot.roles import GUEST_COMMANDS, Role, commands_for
from storage.models import Member

log = logging.getLogger(__name__)


def menu_for(role: Role | None, locale: str) -> list[BotCommand]:
    t = Translator(locale)
    names = commands_for(role) if role else list(GUEST_COMMANDS)
    return [BotCommand(command=name, description=t(f"cmd.{name}")) for name in names]


async def set_guest_menu(bot: Bot, default_locale: str = DEFAULT_LOCALE) -> None:
    """Strangers only see /start; a language without its own list falls back to the default."""
    await bot.set_my_commands(menu_for(None, default_locale), scope=BotCommandScopeDefault())
    for locale in LOCALES:
        await bot.set_my_commands(
            menu_for(None, locale), scope=BotCommandScopeDefault(), language_code=locale
        )


async def set_member_menu(bot: Bot, member: Member) -> None:
    """A member's private chat gets the commands of their role in their chosen language.

    The menu is a convenience: failing to set it must not undo what the member just did.
    """
    try:
        await bot.set_my_commands(
            menu_for(Role(member.role), member.locale),
            scope=BotCommandScopeChat(chat_id=member.telegram_id),
        )
    except TelegramAPIError as exc:
        log.warning("menu not updated member_id=%s error=%s", member.id, exc)
