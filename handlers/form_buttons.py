"""Button checks shared by the conversational forms (the daily report and the order request).

Every form run has an id (``rid``) carried by its buttons: a press from an older run, or from a
form that is no longer in progress, answers "no longer valid" and changes nothing.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.i18n import Translator


class FormRun(Protocol):
    rid: str


D = TypeVar("D", bound=FormRun)


async def button_of_run(query: CallbackQuery, draft: D | None, rid: str, t: Translator) -> D | None:
    """The draft when the pressed button belongs to it (the press is acknowledged), else None
    after telling the presser the button is stale."""
    if draft is None or draft.rid != rid or not isinstance(query.message, Message):
        await query.answer(t("callback.stale"))
        return None
    await query.answer()
    return draft


async def cancel_run(
    query: CallbackQuery,
    state: FSMContext,
    current_rid: str | None,
    pressed_rid: str,
    t: Translator,
    cancelled_key: str,
) -> None:
    """Cancel: forget the form in progress, if the button belongs to it."""
    if current_rid != pressed_rid:
        await query.answer(t("callback.stale"))
        return
    await state.clear()
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(t(cancelled_key))
