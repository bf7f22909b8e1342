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
