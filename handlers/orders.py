"""Order requests: /order (the form, or one request's details and timeline), /orders (tabs),
and the buttons on request cards (approve, reject, assign, start, deliver, accept, reopen, cancel).

Every button carries the order id and the version it was shown at; the service re-reads both
and the presser's part in the order, so a stale or foreign button changes nothing and says why.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.domain.order_workflow import Action
from bot.services import orders as service
from bot.services.order_view import load_view, timeline
from bot.views import order_list
from bot.views import orders as views
from bot.views.orders import ASSIGN_TO, PICK_ASSIGNEE, VIEW, OrderCallback
from handlers import order_form, order_prompts
from handlers.context import Ctx
from handlers.filters import IsMember
from handlers.order_acts import Act, perform

DIRECT_ACTIONS = frozenset({Action.APPROVE, Action.START, Action.ACCEPT, Action.CANCEL})


# --- /order <number> and the details view ------------------------------------------------------


def _number(args: str | None) -> int | None:
    text = (args or "").strip().lstrip("#")
    return int(text) if text.isdigit() and len(text) < 10 else None


async def order_command(
    message: Message, command: CommandObject, state: FSMContext, ctx: Ctx
) -> None:
    if not command.args:
        if message.chat.type != "private":
            await message.answer(ctx.t("order.private_only"))
            return
        await order_form.start_form(message, state, ctx)
        return
    number = _number(command.args)
    if number is None:
        await message.answer(ctx.t("order.usage"))
        return
    await _send_details(message, ctx, number)


async def _send_details(message: Message, ctx: Ctx, number: int) -> None:
    order = await service.visible_order(ctx.session, ctx.member, number)
    if order is None:
        await message.answer(ctx.t("order.not_found", number=number))
        return
    view = await load_view(ctx.session, order)
    events, actors = await timeline(ctx.session, order.id)
    text = views.details_text(ctx.org, view, events, actors, ctx.t)
    actions = service.next_actions(order, ctx.member)
    await message.answer(text, reply_markup=views.action_keyboard(order, actions, ctx.t))


# --- /orders -----------------------------------------------------------------------------------


async def orders_command(message: Message, ctx: Ctx) -> None:
    member, now = ctx.member, ctx.now()
    tabs = service.tabs_for(member)
    tab = "queue" if "queue" in tabs else "assigned"
    rows, has_next = await service.list_tab(ctx.session, member, tab, 0, now)
    if not rows and tab == "assigned":
        tab = "mine"
        rows, has_next = await service.list_tab(ctx.session, member, tab, 0, now)
    await message.answer(
        order_list.list_text(ctx.org, tab, 0, rows, ctx.t),
        reply_markup=order_list.list_keyboard(tabs, tab, 0, has_next, rows, ctx.t),
    )


async def tab_pressed(
    query: CallbackQuery, callback_data: order_list.OrdersTabCallback, ctx: Ctx
) -> None:
    tabs = service.tabs_for(ctx.member)
    if callback_data.tab not in tabs or not 0 <= callback_data.page < 1000:
        await query.answer(ctx.t("callback.stale"))
        return
    await query.answer()
    tab, page = callback_data.tab, callback_data.page
    rows, has_next = await service.list_tab(ctx.session, ctx.member, tab, page, ctx.now())
    if isinstance(query.message, Message):
        await query.message.edit_text(
            order_list.list_text(ctx.org, tab, page, rows, ctx.t),
            reply_markup=order_list.list_keyboard(tabs, tab, page, has_next, rows, ctx.t),
        )


# --- buttons on a request ----------------------------------------------------------------------


async def order_button(
    query: CallbackQuery, callback_data: OrderCallback, state: FSMContext, ctx: Ctx
) -> None:
    message = query.message
    if not isinstance(message, Message):
        await query.answer(ctx.t("callback.stale"))
        return
    if callback_data.a == VIEW:
        await query.answer()
        await _send_details(message, ctx, callback_data.o)
        return
    act = _act_of_button(callback_data)
    if act is None:
        await query.answer(ctx.t("callback.stale"))
        return
    await query.answer()
    if callback_data.a == ASSIGN_TO or act.action in DIRECT_ACTIONS:
        if await perform(message, ctx, act):
            await message.edit_reply_markup(reply_markup=None)
        return
    await _start_two_step(message, state, ctx, act)


def _act_of_button(data: OrderCallback) -> Act | None:
    """The act a button stands for (assigning to the picked person included); None if the
    button names no action."""
    if data.a == ASSIGN_TO:
        return Act(data.o, Action.ASSIGN, data.v, assignee_id=data.m)
    try:
        return Act(data.o, Action(data.a), data.v)
    except ValueError:
        return None


async def _start_two_step(message: Message, state: FSMContext, ctx: Ctx, act: Act) -> None:
    """Assign wants a person picked; reject, reopen and deliver want a typed answer. Check
    first that the act is still possible, so nobody is asked for nothing."""
    check = await service.check(
        ctx.session, actor=ctx.member, order_id=act.order_id, action=act.action, version=act.version
    )
    if not check.ok or check.order is None:
        await message.answer(views.refusal_text(check, ctx.org, act.order_id, ctx.t))
        return
    if act.action.value == PICK_ASSIGNEE:
        people = list(await service.assignable_members(ctx.session, check.order))
        await message.answer(
            ctx.t("order.pick_assignee", number=act.order_id),
            reply_markup=views.assignee_keyboard(check.order, people, ctx.t),
        )
        return
    await order_prompts.ask_for_input(message, state, ctx, act)


def create_router() -> Router:
    router = Router(name="orders")
    router.message.filter(IsMember())
    router.callback_query.filter(IsMember())
    router.message.register(order_command, Command("order"), StateFilter("*"))
    router.message.register(orders_command, Command("orders"), StateFilter("*"))
    router.callback_query.register(order_button, OrderCallback.filter())
    router.callback_query.register(tab_pressed, order_list.OrdersTabCallback.filter())
    router.include_router(order_prompts.create_router())
    router.include_router(order_form.create_router())
    return router
