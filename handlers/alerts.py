"""The buttons under a KPI alert: Acknowledge, Snooze until tomorrow, Create task.

Alerts reach private chats and the board's group, so presses are taken in any chat. The
service re-reads the alerts and re-checks the presser (a recipient still in scope) on every
press; the message is then edited to show who did what, so everyone in that chat sees it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from html import escape

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.domain.alerts import AlertStatus
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.roles import Role
from bot.services import alert_actions as actions
from bot.views.alerts import CAPTION_LIMIT, TEXT_LIMIT, AlertCallback
from handlers.filters import HasRole
from storage.models import Member

log = logging.getLogger(__name__)


def _when(org: OrgConfig, at: datetime | None) -> str:
    return at.astimezone(org.tz).strftime("%H:%M %d/%m") if at else "—"


def _status_line(
    action: str, outcome: actions.Outcome, org: OrgConfig, t: Translator
) -> str | None:
    name = escape(outcome.by or "—")
    if outcome.status == "acknowledged" or (outcome.status == "done" and action == "ack"):
        return t("alert.status.acknowledged", name=name, at=_when(org, outcome.at))
    if outcome.status == "snoozed" or (outcome.status == "done" and action == "snooze"):
        return t("alert.status.snoozed", name=name, until=_when(org, outcome.at))
    if outcome.status == "done" and action == "task":
        return t("alert.status.task", task=outcome.task_id, assignee=name)
    return None


def _answer(action: str, outcome: actions.Outcome, org: OrgConfig, t: Translator) -> str:
    name, at = outcome.by or "—", _when(org, outcome.at)
    if outcome.status == "done":
        if action == "ack":
            return t("alert.answer.acknowledged")
        if action == "snooze":
            return t("alert.answer.snoozed", until=at)
        return t("alert.answer.task", task=outcome.task_id, assignee=name)
    if outcome.status == "acknowledged":
        return t("alert.answer.already_acknowledged", name=name, at=at)
    if outcome.status == "snoozed":
        return t("alert.answer.already_snoozed", name=name, until=at)
    if outcome.status == "has_task":
        return t("alert.answer.already_task", task=outcome.task_id)
    if outcome.status == "no_owner":
        return t("alert.answer.no_owner")
    if outcome.status == "resolved":
        return t("alert.answer.resolved")
    return t("alert.answer.not_found")


def _markup(
    target: actions.Target, data: AlertCallback, t: Translator
) -> InlineKeyboardMarkup | None:
    """The buttons that still make sense for these alerts."""
    states = {s.state for s in target.alerts}
    row = []

    def button(key: str, action: str) -> InlineKeyboardButton:
        packed = AlertCallback(action=action, scope=data.scope, id=data.id).pack()
        return InlineKeyboardButton(text=t(key), callback_data=packed)

    if AlertStatus.OPEN in states or AlertStatus.SNOOZED in states:
        row.append(button("alert.button.ack", "ack"))
    if AlertStatus.OPEN in states:
        row.append(button("alert.button.snooze", "snooze"))
    rows = [row] if row else []
    if not any(s.task_id for s in target.alerts) and states != {AlertStatus.RESOLVED.value}:
        rows.append([button("alert.button.task", "task")])
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


async def _show(message: Message, line: str, markup: InlineKeyboardMarkup | None) -> None:
    """Append ``line`` to the alert (text or caption) unless it is already there."""
    original = message.html_text
    if line in original:
        return
    limit = CAPTION_LIMIT if message.photo else TEXT_LIMIT
    room = limit - len(line) - 2
    text = f"{original[:room]}\n\n{line}"
    try:
        if message.photo:
            await message.edit_caption(caption=text, reply_markup=markup)
        else:
            await message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as exc:
        log.warning("alert message %s not edited: %s", message.message_id, exc)


async def alert_pressed(
    query: CallbackQuery,
    callback_data: AlertCallback,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    clock: Clock,
    t: Translator,
) -> None:
    target = await actions.find_target(session, org, member, callback_data.scope, callback_data.id)
    if target is None:
        log.info("alert button refused member=%s data=%s", member.id, callback_data.pack())
        await query.answer(t("alert.answer.not_found"), show_alert=True)
        return
    now, action = clock.now(), callback_data.action
    if action == "ack":
        outcome = await actions.acknowledge(session, target, member, now)
    elif action == "snooze":
        outcome = await actions.snooze(session, org, target, member, now)
    elif action == "task":
        outcome = await actions.create_follow_up(session, org, target, member, now)
    else:
        await query.answer(t("alert.answer.not_found"), show_alert=True)
        return
    await session.commit()  # recorded before anyone is told
    await query.answer(_answer(action, outcome, org, t), show_alert=outcome.status != "done")
    line = _status_line(action, outcome, org, t)
    if line is not None and isinstance(query.message, Message):
        await _show(query.message, line, _markup(target, callback_data, t))


def create_router() -> Router:
    router = Router(name="alerts")
    router.callback_query.filter(HasRole(*Role))
    router.callback_query.register(alert_pressed, AlertCallback.filter())
    return router
