"""Router-level filters: membership and role checks."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from bot.roles import Role
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
