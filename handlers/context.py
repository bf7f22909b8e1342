"""What a handler needs besides the update itself, in one object built per update.

aiogram injects dependencies one keyword at a time; a handler names ``ctx: Ctx`` instead of
the session, member, translator, org, clock and bot username one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.services.scope import StoreCatalog
from bot.services.updates import begin_update
from storage.models import Member


@dataclass(frozen=True, slots=True)
class Ctx:
    session: AsyncSession  # the update's transaction (committed by the session middleware)
    t: Translator
    org: OrgConfig
    clock: Clock
    bot: Bot
    bot_username: str
    stores_catalog: StoreCatalog
    member_or_none: Member | None  # None for strangers (only /start and the fallback see them)
    update_id: int | None = None
    claimed: bool = False  # recorded as applied in its own transaction (webhook mode)
    journaled: bool = False  # its Bot API calls are journaled (bot/delivery/call_journal.py)

    @property
    def member(self) -> Member:
        """The member behind the update; routers that use it filter out strangers first."""
        if self.member_or_none is None:
            raise LookupError("this handler needs a member; its router must filter strangers")
        return self.member_or_none

    @property
    def tz(self) -> ZoneInfo:
        return self.org.tz

    def now(self) -> datetime:
        return self.clock.now()

    async def save_before_announcing(self) -> None:
        """Make what the update wrote certain before a reply says it is done.

        Long polling commits here. A webhook update keeps its one transaction: if its worker
        dies before the end, Telegram delivers it again and it is applied anew, its replies
        answered from the call journal instead of sent twice. Committing here instead would
        leave the redelivery nothing to apply and the rest of the replies never sent.
        """
        if self.journaled:
            await self.session.flush()
        else:
            await self.session.commit()

    async def discard_changes(self) -> None:
        """Undo what the update wrote so far (e.g. the member must confirm what they now see);
        the update itself stays recorded as applied."""
        await self.session.rollback()
        if self.claimed and self.update_id is not None:
            await begin_update(self.session, self.update_id, self.now())
