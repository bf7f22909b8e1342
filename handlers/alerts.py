"""The buttons under a KPI alert: Acknowledge, Snooze until tomorrow, Create task (a store's
alerts only: a campaign's has no store owner to give a task to).

Alerts reach private chats and the board's group, so presses are taken in any chat. The
service re-reads the alerts and re-checks the presser (a recipient still in scope) on every
press; the message is then edited to show who did what, so everyone in that chat sees it.
"""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.domain.alert_outcome import Outcome
from bot.roles import Role
from bot.services import alert_actions as actions
from bot.views import alerts as views
from bot.views.alerts import AlertCallback
from handlers.context import Ctx
from handlers.filters import HasRole

log = logging.getLogger(__name__)


async def _show(message: Message, line: str, markup: InlineKeyboardMarkup | None) -> None:
    """Append ``line`` to the alert (text or caption) unless it is already there."""
    original = message.html_text
    if line in original:
        return
    text = views.with_status_line(original, line, photo=bool(message.photo))
    try:
        if message.photo:
            await message.edit_caption(caption=text, reply_markup=markup)
        else:
            await message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as exc:
        log.warning("alert message %s not edited: %s", message.message_id, exc)


async def _press(ctx: Ctx, target: actions.Target, action: str) -> Outcome | None:
    """Do what the button says; None for an action no button has."""
    session, org, member, now = ctx.session, ctx.org, ctx.member, ctx.now()
    if action == "ack":
        return await actions.acknowledge(session, target, member, now)
    if action == "snooze":
        return await actions.snooze(session, org, target, member, now)
    if action == "task" and target.tasks:
        return await actions.create_follow_up(session, org, target, member, now)
    return None


async def alert_pressed(query: CallbackQuery, callback_data: AlertCallback, ctx: Ctx) -> None:
    t, org, member = ctx.t, ctx.org, ctx.member
    target = await actions.find_target(
        ctx.session, org, member, callback_data.scope, callback_data.id
    )
    if target is None:
        log.info("alert button refused member=%s data=%s", member.id, callback_data.pack())
        await query.answer(t("alert.answer.not_found"), show_alert=True)
        return
    outcome = await _press(ctx, target, callback_data.action)
    if outcome is None:
        await query.answer(t("alert.answer.not_found"), show_alert=True)
        return
    await ctx.save_before_announcing()  # recorded before anyone is told
    action = callback_data.action
    await query.answer(
        views.press_answer(action, outcome, org, t), show_alert=outcome.status != "done"
    )
    line = views.status_line(action, outcome, org, t)
    if line is not None and isinstance(query.message, Message):
        markup = views.remaining_keyboard(target.alerts, callback_data, t, with_task=target.tasks)
        await _show(query.message, line, markup)


def create_router() -> Router:
    router = Router(name="alerts")
    router.callback_query.filter(HasRole(*Role))
    router.callback_query.register(alert_pressed, AlertCallback.filter())
    return router
