"""Who is writing to the bot, and a member's own settings. The caller owns the transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Member
from storage.repositories import members as repo


async def member_writing(session: AsyncSession, telegram_id: int) -> Member | None:
    """The active member behind a Telegram user, or None for a stranger.

    Someone who writes to us has unblocked the bot, so they are reachable again.
    """
    member = await repo.get_member_by_telegram_id(session, telegram_id)
    if member is not None and not member.reachable:
        member.reachable = True
    return member


async def set_locale(session: AsyncSession, member: Member, locale: str) -> None:
    """Save the member's language (and update the loaded row, which the menu reads)."""
    await repo.set_member_locale(session, member.id, locale)
    member.locale = locale
