"""Router-level filters: membership and role checks, and the one rule for commands in forms."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import Message, TelegramObject

from bot.menu import opens_form, split_command
from bot.roles import Role, commands_for
from storage.models import Member


class IsMember(Filter):
    async def __call__(self, event: TelegramObject, member: Member | None = None) -> bool:
        return member is not None


class HasRole(Filter):
    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    async def __call__(self, event: TelegramObject, member: Member | None = None) -> bool:
        return member is not None and Role(member.role) in self.roles


class IsPrivateChat(Filter):
    async def __call__(self, event: TelegramObject) -> bool:
        chat = getattr(event, "chat", None) or getattr(
            getattr(event, "message", None), "chat", None
        )
        return chat is not None and chat.type == "private"


# --- commands and forms ------------------------------------------------------------------------
#
# One rule for every form: a text starting with "/" is a command, never a form's answer. Every
# handler that reads a form's answers or catches what else is typed at a step is registered
# with ``NOT_A_COMMAND``; the command then reaches its own router (every command handler
# matches in any state), or the fallback when it is unknown or not the member's.


class IsCommand(Filter):
    """A text message starting with "/", known or not (a bare "/" included)."""

    async def __call__(self, event: TelegramObject) -> bool:
        return isinstance(event, Message) and split_command(event.text) is not None


NOT_A_COMMAND = ~IsCommand()


class InForm(Filter):
    """Some form (any FSM state) is in progress for this chat and user."""

    async def __call__(self, event: TelegramObject, raw_state: str | None = None) -> bool:
        return raw_state is not None


class OpensAnotherForm(Filter):
    """A command the member may use that would replace the form in progress with a new one
    (``bot.menu.FORM_OPENERS``): ``/report``, ``/order`` and ``/invite`` without arguments."""

    async def __call__(self, event: TelegramObject, member: Member | None = None) -> bool:
        if not isinstance(event, Message) or member is None or event.chat.type != "private":
            return False
        command = split_command(event.text)
        if command is None:
            return False
        name, args = command
        return opens_form(name, args) and name in commands_for(member.role)
