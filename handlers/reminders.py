"""The store buttons of reminders: one press opens the report form for that store and date.

The button is checked again on arrival: the presser must still report that store (or their
own output) and the date must still be within their backfill window.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.roles import REPORTERS
from bot.services.reminders import Refusal, report_target
from bot.services.report_form import start_draft
from bot.views.discipline import ReminderCallback
from handlers import report
from handlers.context import Ctx
from handlers.filters import HasRole

log = logging.getLogger(__name__)


def _day_of(stamp: str) -> date | None:
    try:
        return datetime.strptime(stamp, "%Y%m%d").date()
    except ValueError:
        return None


async def reminder_pressed(
    query: CallbackQuery, callback_data: ReminderCallback, state: FSMContext, ctx: Ctx
) -> None:
    t, member = ctx.t, ctx.member
    day = _day_of(callback_data.day)
    if day is None or callback_data.store < 0:
        await query.answer(t("callback.stale"))
        return
    store_id = callback_data.store or None
    target = await report_target(ctx.session, ctx.org, member, day, store_id, ctx.now())
    if isinstance(target, Refusal):
        log.info("reminder button refused member=%s store=%s day=%s", member.id, store_id, day)
        await query.answer(t(target.key, **target.params), show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        draft = await start_draft(ctx.session, ctx.org, target.form, target.subject, target.day)
        await report.open_form_for(query.message, state, ctx, draft)


def create_router() -> Router:
    router = Router(name="reminders")
    router.callback_query.filter(HasRole(*REPORTERS))
    router.callback_query.register(reminder_pressed, ReminderCallback.filter())
    return router
