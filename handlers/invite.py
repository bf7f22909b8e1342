"""/invite for managers and admins: a button form, or one line `/invite staff growth S1,S2`."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.roles import INVITERS, Role, roles_invitable_by
from bot.services import onboarding as service
from bot.services.onboarding import ROLES_WITH_DEPARTMENT, InviteRequest, OnboardingError
from bot.views import invites as views
from bot.views.invites import InviteCallback
from handlers.context import Ctx
from handlers.filters import NOT_A_COMMAND, HasRole

log = logging.getLogger(__name__)


class InviteForm(StatesGroup):
    role = State()
    department = State()
    stores = State()


async def invite_command(
    message: Message, command: CommandObject, state: FSMContext, ctx: Ctx
) -> None:
    if command.args:
        request = service.request_from_line(command.args)
        if request is None:
            await message.answer(ctx.t("invite.usage"))
            return
        await _issue(message, ctx, request)
        return
    await state.clear()
    await state.set_state(InviteForm.role)
    roles = roles_invitable_by(ctx.member.role)
    await message.answer(ctx.t("invite.ask_role"), reply_markup=views.roles_keyboard(roles, ctx.t))


async def _issue(message: Message, ctx: Ctx, request: InviteRequest) -> None:
    member = ctx.member
    try:
        invite = await service.create_invite(ctx.session, request, inviter=member, now=ctx.now())
    except OnboardingError as refusal:
        await message.answer(views.refusal_text(refusal.key, refusal.params, ctx.t))
        return
    await ctx.save_before_announcing()  # the link must work as soon as it is shown
    log.info("invite created by member_id=%s role=%s", member.id, invite.role)
    text = views.invite_text(
        role=invite.role,
        department=await service.department_of(ctx.session, invite),
        store_codes=invite.store_codes,
        link=service.deep_link(ctx.bot_username, invite.token),
        token=invite.token,
        expires_at=invite.expires_at,
        tz=ctx.tz,
        t=ctx.t,
    )
    await message.answer(text)


async def cancel_pressed(query: CallbackQuery, state: FSMContext, ctx: Ctx) -> None:
    await state.clear()
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(ctx.t("cancel.done"))


async def role_chosen(
    query: CallbackQuery, callback_data: InviteCallback, state: FSMContext, ctx: Ctx
) -> None:
    t, member = ctx.t, ctx.member
    allowed = {r.value for r in roles_invitable_by(member.role)}
    if callback_data.value not in allowed:  # forged or stale
        await query.answer(t("callback.stale"))
        return
    await query.answer()
    role = Role(callback_data.value)
    await state.update_data(role=role.value)
    message = query.message
    if not isinstance(message, Message):
        return
    if role not in ROLES_WITH_DEPARTMENT:
        await state.clear()
        await message.edit_text(t("invite.role_chosen", role=t(f"role.{role}")))
        await _issue(message, ctx, InviteRequest(role=role))
        return
    if Role(member.role) is Role.MANAGER and member.department is not None:
        # A manager invites into their own department only: no need to ask.
        await state.update_data(department=member.department.code)
        await _after_department(message, state, ctx)
        return
    await state.set_state(InviteForm.department)
    keyboard = views.departments_keyboard(await service.departments(ctx.session), t)
    await message.edit_text(t("invite.ask_department"), reply_markup=keyboard)


async def department_chosen(
    query: CallbackQuery, callback_data: InviteCallback, state: FSMContext, ctx: Ctx
) -> None:
    department = await service.active_department(ctx.session, callback_data.value)
    if department is None:
        await query.answer(ctx.t("callback.stale"))
        return
    await query.answer()
    await state.update_data(department=department.code)
    if isinstance(query.message, Message):
        await _after_department(query.message, state, ctx)


async def _after_department(message: Message, state: FSMContext, ctx: Ctx) -> None:
    """Staff are given stores next; a manager's invite is complete with the department."""
    t = ctx.t
    data = await state.get_data()
    if data["role"] != Role.STAFF.value:
        await state.clear()
        await message.edit_text(t("invite.role_chosen", role=t(f"role.{data['role']}")))
        request = InviteRequest(role=Role(data["role"]), department_code=data["department"])
        await _issue(message, ctx, request)
        return
    await state.set_state(InviteForm.stores)
    await state.update_data(stores=[])
    codes = await service.department_store_codes(ctx.session, data["department"])
    await message.edit_text(
        t("invite.ask_stores"), reply_markup=views.stores_keyboard(codes, [], t)
    )


async def store_toggled(
    query: CallbackQuery, callback_data: InviteCallback, state: FSMContext, ctx: Ctx
) -> None:
    data = await state.get_data()
    codes = await service.department_store_codes(ctx.session, data["department"])
    if callback_data.value not in codes:
        await query.answer(ctx.t("callback.stale"))
        return
    chosen: list[str] = list(data.get("stores", []))
    if callback_data.value in chosen:
        chosen.remove(callback_data.value)
    else:
        chosen.append(callback_data.value)
    await state.update_data(stores=chosen)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(
            reply_markup=views.stores_keyboard(codes, chosen, ctx.t)
        )


async def stores_done(query: CallbackQuery, state: FSMContext, ctx: Ctx) -> None:
    data = await state.get_data()
    await state.clear()
    await query.answer()
    message = query.message
    if not isinstance(message, Message):
        return
    await message.edit_text(views.stores_chosen_text(data["stores"], ctx.t))
    request = InviteRequest(
        role=Role.STAFF, department_code=data["department"], store_codes=tuple(data["stores"])
    )
    await _issue(message, ctx, request)


async def stale_invite_button(query: CallbackQuery, ctx: Ctx) -> None:
    await query.answer(ctx.t("callback.stale"))


async def invite_catch_all(message: Message, ctx: Ctx) -> None:
    await message.answer(ctx.t("invite.use_buttons"))


def create_router() -> Router:
    router = Router(name="invite")
    router.message.filter(F.chat.type == "private", HasRole(*INVITERS))
    router.callback_query.filter(HasRole(*INVITERS))
    router.message.register(invite_command, Command("invite"), StateFilter("*"))
    router.callback_query.register(
        cancel_pressed, InviteCallback.filter(F.step == "cancel"), StateFilter(InviteForm)
    )
    router.callback_query.register(
        role_chosen, InviteCallback.filter(F.step == "role"), InviteForm.role
    )
    router.callback_query.register(
        department_chosen, InviteCallback.filter(F.step == "dept"), InviteForm.department
    )
    router.callback_query.register(
        store_toggled, InviteCallback.filter(F.step == "store"), InviteForm.stores
    )
    router.callback_query.register(
        stores_done, InviteCallback.filter(F.step == "done"), InviteForm.stores
    )
    router.callback_query.register(stale_invite_button, InviteCallback.filter())
    router.message.register(invite_catch_all, StateFilter(InviteForm), NOT_A_COMMAND)
    return router
