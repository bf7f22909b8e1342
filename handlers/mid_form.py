"""Commands typed in the middle of a form: the command wins, the form waits.

The rule, for every form (any FSM state):

- No form reads a command as an answer (``handlers.filters.NOT_A_COMMAND`` on every handler
  that reads answers or catches what else is typed at a step), and every command handler
  matches in any state, so the command runs in its own router.
- A command that would open another form and so replace this one (``bot.menu.FORM_OPENERS``)
  is caught here first, by the router placed before every other: the member is asked whether
  to leave the form in progress. The question is kept in the FSM data next to the form, its
  buttons carry its token and are checked against it on arrival; nothing is lost unless they
  choose to leave.
- A bare "/", an unknown command, or one the member's role may not use reaches the fallback,
  as outside a form.
- After any command that left the form exactly as it was, ``StillInForm`` (an inner middleware
  on the root router, so around every handler) adds one line: what is still in progress and
  how to go on.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from aiogram import BaseMiddleware, Router
from aiogram.filters import CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.domain.order_draft import OrderDraft
from bot.domain.report_draft import Draft
from bot.domain.upload_draft import UploadDraft
from bot.menu import opens_form, split_command
from bot.roles import commands_for
from bot.views import forms as views
from bot.views.forms import KEEP, LEAVE, FormPlace, FormSwitchCallback
from handlers import campaigns, invite, order_prompts, orders, report
from handlers.context import Ctx
from handlers.filters import InForm, IsMember, OpensAnotherForm
from handlers.form_engine import STALE
from handlers.ingest_adapter import IngestUpload
from handlers.invite import InviteForm
from handlers.order_form import OrderForm
from handlers.order_prompts import OrderAction
from handlers.plans import PlanImport
from handlers.report_adapter import ReportForm

log = logging.getLogger(__name__)

SWITCH_KEY = "form_switch"  # the pending leave-or-keep question, in the FSM data
COMMAND_KEPT = 256  # characters of the typed command kept to run it after "leave"

Opener = Callable[[Message, CommandObject, FSMContext, Ctx], Awaitable[None]]
# The handler of each command in bot.menu.FORM_OPENERS, run when the member chooses to leave.
OPENERS: dict[str, Opener] = {
    "report": report.report_command,
    "order": orders.order_command,
    "invite": invite.invite_command,
    "campaign": campaigns.campaign_command,
}

REPORT_STEPS = {
    ReportForm.field.state: "question",
    ReportForm.outlier.state: "outlier",
    ReportForm.summary.state: "summary",
    ReportForm.edit.state: "edit",
}


# --- where the member is ---------------------------------------------------------------------


def _short_day(iso: object) -> str:
    try:
        return date.fromisoformat(str(iso)).strftime("%d/%m")
    except ValueError:
        return ""


def _report_place(raw_state: str, data: dict[str, Any]) -> FormPlace:
    if raw_state == ReportForm.pick.state:
        return FormPlace("report_pick", "pick_store", _short_day(data.get("day")))
    draft = Draft.from_data(data)
    if draft is None:
        return FormPlace("other", "other")
    subject = f"{draft.subject.store_code or draft.subject.label} · {draft.day:%d/%m}"
    return FormPlace("report", REPORT_STEPS.get(raw_state, "question"), subject)


def _order_place(raw_state: str, data: dict[str, Any], ctx: Ctx) -> FormPlace:
    draft = OrderDraft.from_data(data)
    order_type = ctx.org.order_type(draft.type_code) if draft else None
    if raw_state == OrderForm.pick.state or order_type is None:
        return FormPlace("order_pick", "pick_type")
    step = "summary" if raw_state == OrderForm.summary.state else "question"
    return FormPlace("order", step, order_type.name.get(ctx.t.locale))


def _upload_place(raw_state: str, data: dict[str, Any]) -> FormPlace:
    upload = data.get(UploadDraft.data_key)
    name = str(upload.get("file_name", "")) if isinstance(upload, dict) else ""
    step = "pick_store" if raw_state == IngestUpload.pick.state else "plan"
    return FormPlace("upload", step, name)


def place_of(raw_state: str | None, data: dict[str, Any], ctx: Ctx) -> FormPlace:
    """What the member is in the middle of, and how to go on with it."""
    if raw_state is None:
        return FormPlace("other", "other")
    if raw_state in ReportForm:
        return _report_place(raw_state, data)
    if raw_state in OrderForm:
        return _order_place(raw_state, data, ctx)
    if raw_state in InviteForm:
        return FormPlace("invite", "buttons")
    if raw_state in campaigns.CampaignForm:
        return FormPlace("campaign", "summary" if raw_state.endswith(":summary") else "question")
    if raw_state in PlanImport:
        return FormPlace("plan", "plan", str(data.get("file", "")))
    if raw_state in IngestUpload:
        return _upload_place(raw_state, data)
    if raw_state in order_prompts.PROMPT_STATES:
        pending = data.get(order_prompts.PENDING_KEY)
        number = str(pending.get("order_id", "")) if isinstance(pending, dict) else ""
        asked = "deliverable" if raw_state == OrderAction.deliverable.state else "reason"
        return FormPlace(asked, asked, number)
    return FormPlace("other", "other")


# --- after a command that left the form as it was --------------------------------------------

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class StillInForm(BaseMiddleware):
    """Around every message handler: after a command typed in the middle of a form that left
    the form (its state and data) exactly as it was, one line on how to go on."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        state: FSMContext | None = data.get("state")
        raw_state: str | None = data.get("raw_state")
        ctx: Ctx | None = data.get("ctx")
        if (
            not isinstance(event, Message)
            or split_command(event.text) is None
            or state is None
            or raw_state is None
            or ctx is None
            or ctx.member_or_none is None
        ):
            return await handler(event, data)
        before = (raw_state, await state.get_data())
        result = await handler(event, data)
        if (await state.get_state(), await state.get_data()) == before:
            await event.answer(views.still_here_text(place_of(raw_state, before[1], ctx), ctx.t))
        return result


# --- a command that opens another form: leave this one, or keep it ----------------------------


async def switch_asked(message: Message, state: FSMContext, ctx: Ctx) -> None:
    raw_state = await state.get_state()
    data = await state.get_data()
    command = (message.text or "")[:COMMAND_KEPT]
    token = secrets.token_hex(4)
    await state.set_data(
        {**data, SWITCH_KEY: {"token": token, "command": command, "state": raw_state}}
    )
    text, keyboard = views.switch_question(place_of(raw_state, data, ctx), command, token, ctx.t)
    await message.answer(text, reply_markup=keyboard)


def _opener(pending: dict[str, Any], ctx: Ctx) -> tuple[Opener, CommandObject] | None:
    """The handler and command of a pending question, if the member may still run it."""
    command = split_command(str(pending.get("command", "")))
    if command is None:
        return None
    name, args = command
    opener = OPENERS.get(name)
    if opener is None or not opens_form(name, args) or name not in commands_for(ctx.member.role):
        return None
    return opener, CommandObject(prefix="/", command=name, args=args)


async def switch_pressed(
    query: CallbackQuery, callback_data: FormSwitchCallback, state: FSMContext, ctx: Ctx
) -> None:
    """Checked against the question kept in the form's data: a button of an older question,
    of a form no longer in progress or another member's changes nothing."""
    raw_state, data = await state.get_state(), await state.get_data()
    pending = data.get(SWITCH_KEY)
    valid = (
        raw_state is not None
        and isinstance(pending, dict)
        and pending.get("token") == callback_data.token
        and pending.get("state") == raw_state
        and callback_data.choice in (LEAVE, KEEP)
    )
    opener = _opener(pending, ctx) if valid and isinstance(pending, dict) else None
    message = query.message
    if opener is None or not isinstance(message, Message):
        await query.answer(ctx.t(STALE))
        return
    await query.answer()
    data.pop(SWITCH_KEY)
    await state.set_data(data)
    await message.edit_reply_markup(reply_markup=None)
    place = place_of(raw_state, data, ctx)
    if callback_data.choice == KEEP:
        await message.answer(views.kept_text(place, ctx.t))
        return
    run, command = opener
    log.info("form left for /%s member_id=%s state=%s", command.command, ctx.member.id, raw_state)
    await run(message, command, state, ctx)
    if (await state.get_state(), await state.get_data()) == (raw_state, data):
        # The command refused (e.g. a date out of range): the form goes on.
        await message.answer(views.still_here_text(place, ctx.t))


def create_router() -> Router:
    router = Router(name="mid_form")
    router.message.register(switch_asked, IsMember(), InForm(), OpensAnotherForm())
    router.callback_query.register(switch_pressed, FormSwitchCallback.filter(), IsMember())
    return router
