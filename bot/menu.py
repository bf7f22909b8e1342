"""The Telegram command menu, per role and language (setMyCommands with scopes), and what
the bot knows about its commands when one is typed in the middle of a form."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from bot.i18n import DEFAULT_LOCALE, LOCALES, Translator
from bot.roles import COMMANDS, GUEST_COMMANDS, Role, commands_for
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


# --- commands typed in the middle of a form ------------------------------------------------------

# The commands that open a form of their own, replacing whatever form is in progress: typed
# in the middle of another form they first ask whether to leave it. True: with or without
# arguments (`/report 20/11` opens the form for that day); False: only without arguments
# (`/order 12` shows a request, `/invite staff growth S1` issues a link at once).
FORM_OPENERS: dict[str, bool] = {
    "report": True,
    "order": False,
    "invite": False,
    "campaign": False,
}
# Commands that open a form only with one of these arguments (`/campaign new`; a bare
# `/campaign` lists campaigns).
FORM_OPENING_ARGS: dict[str, frozenset[str]] = {"campaign": frozenset({"new", "moi", "mới"})}


def known_commands() -> frozenset[str]:
    """Every command the bot has, for any role (a guest's /start included)."""
    return frozenset({spec.name for spec in COMMANDS} | set(GUEST_COMMANDS))


def split_command(text: str | None) -> tuple[str, str | None] | None:
    """``"/report@opsbot 20/11"`` → ``("report", "20/11")``; a bare ``/`` → ``("", None)``;
    None when the text is not a command at all."""
    if not text or not text.startswith("/"):
        return None
    body = text[1:]
    head = "" if not body or body[0].isspace() else body.split(maxsplit=1)[0]
    args = body[len(head) :].strip()
    return head.split("@", 1)[0], args or None


def opens_form(name: str, args: str | None) -> bool:
    """True when ``/name args`` replaces the form in progress with a new one."""
    if name in FORM_OPENING_ARGS:
        return (args or "").strip().lower() in FORM_OPENING_ARGS[name]
    with_args = FORM_OPENERS.get(name)
    return with_args is not None and (with_args or args is None)
