"""Order requests: /order (the form, or one request's details and timeline), /orders (tabs),
and the buttons on request cards (approve, reject, assign, start, deliver, accept, reopen, cancel).

Every button carries the order id and the version it was shown at; the service re-reads both
and the presser's part in the order, so a stale or foreign button changes nothing and says why.
"""

from __future__ import annotations

import logging
from html import escape
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.domain.order_fields import Attachment, attachment_problem, looks_like_link, normalize_link
from bot.domain.order_workflow import Action, available_actions
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.services import orders as service
from bot.services.orders import ActOutcome
from bot.views import order_list as views
from bot.views.orders import (
    ASSIGN_TO,
    PICK_ASSIGNEE,
    VIEW,
    OrderCallback,
    action_keyboard,
    assignee_keyboard,
    card_text,
    load_view,
    short_time,
    timeline_text,
)
from handlers import order_form
from handlers.filters import IsMember
from handlers.order_form import attachment_of
from storage.models import Member, OrderRequest
from storage.repositories import orders as repo

log = logging.getLogger(__name__)

DIRECT_ACTIONS = frozenset({Action.APPROVE, Action.START, Action.ACCEPT, Action.CANCEL})
REASON_ACTIONS = frozenset({Action.REJECT, Action.REOPEN})
PENDING_KEY = "order_action"
RESUME_KEY = "resume"


class OrderAction(StatesGroup):
    reason = State()
    deliverable = State()


PROMPT_STATES = frozenset({OrderAction.reason.state, OrderAction.deliverable.state})


async def _finish_prompt(message: Message, state: FSMContext, t: Translator) -> None:
    """Back to the form the member had open before the prompt, if any."""
    resume = (await state.get_data()).get(RESUME_KEY)
    await state.clear()
    if isinstance(resume, dict) and resume.get("state"):
        await state.set_state(str(resume["state"]))
        await state.set_data(dict(resume.get("data") or {}))
        await message.answer(t("order.resumed"))


# --- /order <number> and the details view ------------------------------------------------------


def _number(args: str | None) -> int | None:
    text = (args or "").strip().lstrip("#")
    return int(text) if text.isdigit() and len(text) < 10 else None


async def order_command(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    t: Translator,
) -> None:
    if not command.args:
        if message.chat.type != "private":
            await message.answer(t("order.private_only"))
            return
        await order_form.start_form(message, state, org, t)
        return
    number = _number(command.args)
    if number is None:
        await message.answer(t("order.usage"))
        return
    await _send_details(message, session, member, org, number, t)


async def _send_details(
    message: Message,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    number: int,
    t: Translator,
) -> None:
    order = await service.visible_order(session, member, number)
    if order is None:
        await message.answer(t("order.not_found", number=number))
        return
    view = await load_view(session, order)
    events = list(await repo.events_of(session, order.id))
    people = await repo.members_by_id(session, [e.actor_id for e in events])
    text = f"{card_text(org, view, t)}\n\n{timeline_text(org, events, people, t)}"
    actions = available_actions(order.status, service.parts_of(order, member))
    await message.answer(text, reply_markup=action_keyboard(order, actions, t))


# --- /orders -----------------------------------------------------------------------------------


async def orders_command(
    message: Message,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    clock: Clock,
    t: Translator,
) -> None:
    tabs = service.tabs_for(member)
    tab = "queue" if "queue" in tabs else "assigned"
    rows, has_next = await service.list_tab(session, member, tab, 0, clock.now())
    if not rows and tab == "assigned":
        tab = "mine"
        rows, has_next = await service.list_tab(session, member, tab, 0, clock.now())
    await message.answer(
        views.list_text(org, tab, 0, rows, t),
        reply_markup=views.list_keyboard(tabs, tab, 0, has_next, rows, t),
    )


async def tab_pressed(
    query: CallbackQuery,
    callback_data: views.OrdersTabCallback,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    clock: Clock,
    t: Translator,
) -> None:
    tabs = service.tabs_for(member)
    if callback_data.tab not in tabs or not 0 <= callback_data.page < 1000:
        await query.answer(t("callback.stale"))
        return
    await query.answer()
    tab, page = callback_data.tab, callback_data.page
    rows, has_next = await service.list_tab(session, member, tab, page, clock.now())
    if isinstance(query.message, Message):
        await query.message.edit_text(
            views.list_text(org, tab, page, rows, t),
            reply_markup=views.list_keyboard(tabs, tab, page, has_next, rows, t),
        )


# --- buttons on a request ----------------------------------------------------------------------


def _refusal(outcome: ActOutcome, org: OrgConfig, number: int, t: Translator) -> str:
    if outcome.verdict == "stale" and outcome.last is not None:
        last = outcome.last
        return t(
            "order.stale",
            number=number,
            action=t(f"order.action.{last.action}"),
            actor=outcome.last_actor.full_name if outcome.last_actor else t("order.actor.system"),
            at=short_time(last.at, org.tz),
            status=t(f"order.status.{outcome.order.status}") if outcome.order else "—",
        )
    if outcome.verdict == "not_allowed":
        return t("order.not_allowed", number=number)
    if outcome.verdict == "bad_assignee":
        return t("order.bad_assignee")
    if outcome.verdict == "note_required":
        return t("order.note_required")
    return t("order.not_found", number=number)


async def _announce(
    message: Message,
    org: OrgConfig,
    session: AsyncSession,
    member: Member,
    order: OrderRequest,
    action: Action,
    t: Translator,
) -> None:
    """The actor's own result: the card as it is now, with what they may do next."""
    view = await load_view(session, order)
    actions = available_actions(order.status, service.parts_of(order, member))
    headline = t(f"order.you.{action.value}", number=order.id)
    text = f"{headline}\n\n{card_text(org, view, t, with_fields=False)}"
    await message.answer(text, reply_markup=action_keyboard(order, actions, t))


async def _act(
    query: CallbackQuery,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    clock: Clock,
    t: Translator,
    *,
    order_id: int,
    action: Action,
    version: int,
    message: Message,
    **extra: Any,
) -> bool:
    outcome = await service.act(
        session,
        org,
        actor=member,
        order_id=order_id,
        action=action,
        version=version,
        now=clock.now(),
        **extra,
    )
    if not outcome.ok or outcome.order is None:
        await message.answer(_refusal(outcome, org, order_id, t))  # nothing was written
        return False
    await session.commit()  # the transition (and its notifications) exist before we say so
    await _announce(message, org, session, member, outcome.order, action, t)
    return True


async def order_button(
    query: CallbackQuery,
    callback_data: OrderCallback,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    clock: Clock,
    t: Translator,
) -> None:
    message = query.message
    if not isinstance(message, Message):
        await query.answer(t("callback.stale"))
        return
    name, order_id, version = callback_data.a, callback_data.o, callback_data.v
    if name == VIEW:
        await query.answer()
        await _send_details(message, session, member, org, order_id, t)
        return
    if name == ASSIGN_TO:
        await query.answer()
        done = await _act(
            query, session, member, org, clock, t,
            order_id=order_id, action=Action.ASSIGN, version=version, message=message,
            assignee_id=callback_data.m,
        )  # fmt: skip
        if done:
            await message.edit_reply_markup(reply_markup=None)
        return
    try:
        action = Action(name)
    except ValueError:
        await query.answer(t("callback.stale"))
        return
    if action in DIRECT_ACTIONS:
        await query.answer()
        if await _act(
            query, session, member, org, clock, t,
            order_id=order_id, action=action, version=version, message=message,
        ):  # fmt: skip
            await message.edit_reply_markup(reply_markup=None)
        return
    check = await service.check(
        session, actor=member, order_id=order_id, action=action, version=version
    )
    if not check.ok or check.order is None:
        await query.answer()
        await message.answer(_refusal(check, org, order_id, t))
        return
    await query.answer()
    if action.value == PICK_ASSIGNEE:
        people = list(await service.assignable_members(session, check.order))
        await message.answer(
            t("order.pick_assignee", number=order_id),
            reply_markup=assignee_keyboard(check.order, people, t),
        )
        return
    await _ask_for_input(message, state, action, order_id, version, t)


async def _ask_for_input(
    message: Message, state: FSMContext, action: Action, order_id: int, version: int, t: Translator
) -> None:
    """Reject / reopen want a reason, deliver wants a link, a file or a note."""
    data = await state.get_data()
    pending = data.get(PENDING_KEY)
    if (
        isinstance(pending, dict)
        and pending.get("order_id") == order_id
        and pending.get("action") == action.value
    ):
        # A second press while we already wait for the answer changes nothing.
        await message.answer(t(f"order.already_asked.{action.value}", number=order_id))
        return
    current = await state.get_state()
    # A form in progress (e.g. /order or /report) is put aside and resumed afterwards.
    resume = data.get(RESUME_KEY) if current in PROMPT_STATES else None
    if current is not None and current not in PROMPT_STATES:
        resume = {"state": current, "data": data}
    await state.set_state(
        OrderAction.deliverable if action is Action.DELIVER else OrderAction.reason
    )
    await state.set_data(
        {
            PENDING_KEY: {"order_id": order_id, "version": version, "action": action.value},
            RESUME_KEY: resume,
        }
    )
    await message.answer(t(f"order.ask.{action.value}", number=order_id))


async def _pending(state: FSMContext) -> dict[str, Any] | None:
    pending = (await state.get_data()).get(PENDING_KEY)
    return pending if isinstance(pending, dict) else None


async def reason_given(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    clock: Clock,
    t: Translator,
) -> None:
    pending = await _pending(state)
    text = (message.text or "").strip()
    if pending is None:
        await state.clear()
        await message.answer(t("order.lost"))
        return
    if len(text) < 3:
        await message.answer(t("order.reason_too_short"))
        return
    await _act_from_message(message, session, member, org, clock, t, pending, note=text[:1000])
    await _finish_prompt(message, state, t)


async def deliverable_given(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    clock: Clock,
    t: Translator,
) -> None:
    pending = await _pending(state)
    if pending is None:
        await state.clear()
        await message.answer(t("order.lost"))
        return
    note: str | None = None
    attachment: dict[str, Any] | None = None
    file = attachment_of(message)
    if file is not None:
        problem = attachment_problem("file", file)
        if problem is not None:
            await message.answer(t(f"order.deliver_error.{problem}", max_mb=20))
            return
        attachment = file.to_json()
        note = (message.caption or "").strip() or None
    elif message.text and looks_like_link(message.text):
        link = normalize_link(message.text)
        if link is None:
            await message.answer(t("order.deliver_error.bad_link"))
            return
        attachment = Attachment("link", "", link, None, None).to_json()
        attachment.pop("file_id")
    elif message.text and message.text.strip():
        note = message.text.strip()[:1000]
    else:
        await message.answer(t("order.ask.deliver", number=pending.get("order_id")))
        return
    await _act_from_message(
        message, session, member, org, clock, t, pending, note=note, attachment=attachment
    )
    await _finish_prompt(message, state, t)


async def _act_from_message(
    message: Message,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    clock: Clock,
    t: Translator,
    pending: dict[str, Any],
    **extra: Any,
) -> None:
    try:
        action = Action(str(pending.get("action")))
        order_id, version = int(pending["order_id"]), int(pending["version"])
    except (KeyError, TypeError, ValueError):
        await message.answer(t("order.lost"))
        return
    outcome = await service.act(
        session,
        org,
        actor=member,
        order_id=order_id,
        action=action,
        version=version,
        now=clock.now(),
        **extra,
    )
    if not outcome.ok or outcome.order is None:
        await message.answer(_refusal(outcome, org, order_id, t))  # nothing was written
        return
    await session.commit()
    await _announce(message, org, session, member, outcome.order, action, t)


async def pending_other(message: Message, state: FSMContext, t: Translator) -> None:
    pending = await _pending(state)
    action = str(pending.get("action")) if pending else "reject"
    number = pending.get("order_id") if pending else "?"
    await message.answer(t(f"order.ask.{action}", number=escape(str(number))))


def create_router() -> Router:
    router = Router(name="orders")
    router.message.filter(IsMember())
    router.callback_query.filter(IsMember())
    router.message.register(order_command, Command("order"), StateFilter("*"))
    router.message.register(orders_command, Command("orders"), StateFilter("*"))
    router.callback_query.register(order_button, OrderCallback.filter())
    router.callback_query.register(tab_pressed, views.OrdersTabCallback.filter())
    not_command = ~F.text.startswith("/")
    router.message.register(reason_given, OrderAction.reason, F.text, not_command)
    router.message.register(
        deliverable_given, OrderAction.deliverable, F.text | F.document | F.photo, not_command
    )
    router.message.register(pending_other, StateFilter(OrderAction), not_command)
    router.include_router(order_form.create_router())
    return router
