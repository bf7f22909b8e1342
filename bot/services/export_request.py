"""What a monthly export is asked for, and the shape of a sheet source.

Kept apart from ``bot.services.export`` so that the modules writing sheets (the KPI sheets
there, the order sheets in ``bot.services.order_export``) depend on it, not on each other.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.months import YearMonth
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.services.scope import Scope
from bot.services.xlsx import Sheet


@dataclass(frozen=True)
class ExportRequest:
    """What to export: ``month`` as seen by ``scope``; ``today`` is the latest business date
    with numbers (plans count "to date" up to it). ``t`` gives the sheet and column names."""

    org: OrgConfig
    scope: Scope
    month: YearMonth
    today: date
    t: Translator

    @property
    def last_day(self) -> date:
        """The last day with numbers: the month's end, or today in the current month."""
        return min(self.month.last_day, self.today)


SheetSource = Callable[[AsyncSession, ExportRequest], Awaitable[Sheet | None]]
"""``async (session, request) -> Sheet | None`` (None: nothing to show for this request)."""
