"""The typed answer an order button asks for: a reason (reject, reopen) or a deliverable
(deliver: a file, a link or a note).

A form in progress (e.g. /order or /report) is put aside while the bot waits for the answer
and resumed afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message

from bot.domain.order_fields import Attachment, attachment_problem, looks_like_link, normalize_link
from bot.domain.order_workflow import Action
from bot.views import orders as views
from handlers.context import Ctx
from handlers.filters import NOT_A_COMMAND
from handlers.order_acts import Act, perform
from handlers.order_form import attachment_of

PENDING_KEY = "order_action"
RESUME_KEY = "resume"
NOTE_LIMIT = 1000


class OrderAction(StatesGroup):
    reason = State()
    deliverable = State()


PROMPT_STATES = frozenset({OrderAction.reason.state, OrderAction.deliverable.state})


async def ask_for_input(message: Message, state: FSMContext, ctx: Ctx, act: Act) -> None:
    """Reject / reopen want a reason, deliver wants a link, a file or a note."""
    action, order_id = act.action, act.order_id
    data = await state.get_data()
    pending = data.get(PENDING_KEY)
    if (
        isinstance(pending, dict)
        and pending.get("order_id") == order_id
        and pending.get("action") == action.value
    ):
        # A second press while we already wait for the answer changes nothing.
        await message.answer(ctx.t(f"order.already_asked.{action.value}", number=order_id))
        return
    current = await state.get_state()
    # A form in progress (e.g. /order or /report) is put aside and resumed afterwards.
    resume = data.get(RESUME_KEY) if current in PROMPT_STATES else None
    if current is not None and current not in PROMPT_STATES:
        resume = {"state": current, "data": data}
    await state.set_state(
        OrderAction.deliverable if action is Action.DELIVER else OrderAction.reason
    )
    await state.set_data({PENDING_KEY: act.pending(), RESUME_KEY: resume})
    await message.answer(ctx.t(f"order.ask.{action.value}", number=order_id))


# --- the typed answer --------------------------------------------------------------------------


async def _pending(state: FSMContext) -> dict[str, Any] | None:
    pending = (await state.get_data()).get(PENDING_KEY)
    return pending if isinstance(pending, dict) else None


async def _finish_prompt(message: Message, state: FSMContext, ctx: Ctx) -> None:
    """Back to the form the member had open before the prompt, if any."""
    resume = (await state.get_data()).get(RESUME_KEY)
    await state.clear()
    if isinstance(resume, dict) and resume.get("state"):
        await state.set_state(str(resume["state"]))
        await state.set_data(dict(resume.get("data") or {}))
        await message.answer(ctx.t("order.resumed"))


async def _act_on_answer(
    message: Message, state: FSMContext, ctx: Ctx, pending: dict[str, Any], **answer: Any
) -> None:
    """The act the prompt was for, with the answer; then back to what the member was doing."""
    act = Act.from_pending(pending)
    if act is None:
        await message.answer(ctx.t("order.lost"))
    else:
        await perform(message, ctx, replace(act, **answer))
    await _finish_prompt(message, state, ctx)


async def reason_given(message: Message, state: FSMContext, ctx: Ctx) -> None:
    pending = await _pending(state)
    text = (message.text or "").strip()
    if pending is None:
        await state.clear()
        await message.answer(ctx.t("order.lost"))
        return
    if len(text) < 3:
        await message.answer(ctx.t("order.reason_too_short"))
        return
    await _act_on_answer(message, state, ctx, pending, note=text[:NOTE_LIMIT])


@dataclass(frozen=True)
class Deliverable:
    """What a delivery message carries, or ``problem``: why it cannot be taken."""

    note: str | None = None
    attachment: dict[str, Any] | None = None
    problem: str | None = None


def _deliverable_of(message: Message) -> Deliverable | None:
    """A file (with its caption as the note), a link, or a note; None when there is nothing."""
    file = attachment_of(message)
    if file is not None:
        problem = attachment_problem("file", file)
        if problem is not None:
            return Deliverable(problem=problem)
        return Deliverable((message.caption or "").strip() or None, file.to_json())
    text = (message.text or "").strip()
    if message.text and looks_like_link(message.text):
        link = normalize_link(message.text)
        if link is None:
            return Deliverable(problem="bad_link")
        attachment = Attachment("link", "", link, None, None).to_json()
        attachment.pop("file_id")
        return Deliverable(attachment=attachment)
    return Deliverable(note=text[:NOTE_LIMIT]) if text else None


async def deliverable_given(message: Message, state: FSMContext, ctx: Ctx) -> None:
    pending = await _pending(state)
    if pending is None:
        await state.clear()
        await message.answer(ctx.t("order.lost"))
        return
    deliverable = _deliverable_of(message)
    if deliverable is None:
        await message.answer(ctx.t("order.ask.deliver", number=pending.get("order_id")))
        return
    if deliverable.problem is not None:
        await message.answer(views.deliver_error_text(deliverable.problem, ctx.t))
        return
    await _act_on_answer(
        message, state, ctx, pending, note=deliverable.note, attachment=deliverable.attachment
    )


async def pending_other(message: Message, state: FSMContext, ctx: Ctx) -> None:
    pending = await _pending(state)
    action = str(pending.get("action")) if pending else "reject"
    number = pending.get("order_id") if pending else "?"
    await message.answer(views.ask_text(action, number, ctx.t))


def create_router() -> Router:
    router = Router(name="order_prompts")
    router.message.register(reason_given, OrderAction.reason, F.text, NOT_A_COMMAND)
    router.message.register(
        deliverable_given, OrderAction.deliverable, F.text | F.document | F.photo, NOT_A_COMMAND
    )
    router.message.register(pending_other, StateFilter(OrderAction), NOT_A_COMMAND)
    return router
