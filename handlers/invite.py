"""/invite for managers and admins: a button form, or one line `/invite staff growth S1,S2`."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.i18n import Translator
from bot.roles import INVITERS, Role, roles_invitable_by
from bot.services.onboarding import (
    ROLES_WITH_DEPARTMENT,
    InviteRequest,
    OnboardingError,
    create_invite,
    deep_link,
)
from bot.views.common import department_name
from handlers.filters import HasRole
from storage.models import Invite, Member
from storage.repositories import catalog

log = logging.getLogger(__name__)


class InviteForm(StatesGroup):
    role = State()
    department = State()
    stores = State()


class InviteCallback(CallbackData, prefix="inv"):
    step: str  # role | dept | store | done | cancel
    value: str = ""


def _button(text: str, step: str, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=InviteCallback(step=step, value=value).pack()
    )


def _keyboard(rows: list[list[InlineKeyboardButton]], t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[*rows, [_button(t("button.cancel"), "cancel")]])


async def invite_command(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    t: Translator,
    clock: Clock,
    bot_username: str,
    timezone: ZoneInfo,
) -> None:
    if command.args:
        await _invite_in_one_line(
            message, command.args, session, member, t, clock, bot_username, timezone
        )
        return
    await state.clear()
    await state.set_state(InviteForm.role)
    rows = [
        [_button(t(f"role.{role}"), "role", role.value)] for role in roles_invitable_by(member.role)
    ]
    await message.answer(t("invite.ask_role"), reply_markup=_keyboard(rows, t))


async def _invite_in_one_line(
    message: Message,
    args: str,
    session: AsyncSession,
    member: Member,
    t: Translator,
    clock: Clock,
    bot_username: str,
    timezone: ZoneInfo,
) -> None:
    parts = args.split()
    try:
        role = Role(parts[0].lower())
    except ValueError:
        await message.answer(t("invite.usage"))
        return
    department = parts[1] if len(parts) > 1 else None
    stores = tuple(c.strip() for c in parts[2].split(",") if c.strip()) if len(parts) > 2 else ()
    request = InviteRequest(role=role, department_code=department, store_codes=stores)
    await _issue(message, request, session, member, t, clock, bot_username, timezone)


async def _issue(
    message: Message,
    request: InviteRequest,
    session: AsyncSession,
    member: Member,
    t: Translator,
    clock: Clock,
    bot_username: str,
    timezone: ZoneInfo,
) -> bool:
    try:
        invite = await create_invite(session, request, inviter=member, now=clock.now())
    except OnboardingError as refusal:
        await message.answer(t(refusal.key, **refusal.params) + "\n\n" + t("invite.usage"))
        return False
    await session.commit()  # the link must work as soon as it is shown
    log.info("invite created by member_id=%s role=%s", member.id, invite.role)
    await message.answer(await _invite_text(invite, session, t, bot_username, timezone))
    return True


async def _invite_text(
    invite: Invite, session: AsyncSession, t: Translator, bot_username: str, timezone: ZoneInfo
) -> str:
    department = (
        await catalog.get_department(session, invite.department_id)
        if invite.department_id is not None
        else None
    )
    return t(
        "invite.created",
        role=t(f"role.{invite.role}"),
        department=department_name(department, t),
        stores=", ".join(invite.store_codes) or "—",
        link=deep_link(bot_username, invite.token),
        token=invite.token,
        expires=invite.expires_at.astimezone(timezone).strftime("%d/%m/%Y %H:%M"),
    )


async def cancel_pressed(query: CallbackQuery, state: FSMContext, t: Translator) -> None:
    await state.clear()
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(t("cancel.done"))


async def role_chosen(
    query: CallbackQuery,
    callback_data: InviteCallback,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    t: Translator,
    clock: Clock,
    bot_username: str,
    timezone: ZoneInfo,
) -> None:
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
        await _issue(
            message, InviteRequest(role=role), session, member, t, clock, bot_username, timezone
        )
        return
    if Role(member.role) is Role.MANAGER and member.department is not None:
        await state.update_data(department=member.department.code)
        await _after_department(message, state, session, member, t, clock, bot_username, timezone)
        return
    await state.set_state(InviteForm.department)
    rows = [
        [_button(department_name(d, t), "dept", d.code)]
        for d in await catalog.list_departments(session)
    ]
    await message.edit_text(t("invite.ask_department"), reply_markup=_keyboard(rows, t))


async def department_chosen(
    query: CallbackQuery,
    callback_data: InviteCallback,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    t: Translator,
    clock: Clock,
    bot_username: str,
    timezone: ZoneInfo,
) -> None:
    department = await catalog.get_department_by_code(session, callback_data.value)
    if department is None or not department.active:
        await query.answer(t("callback.stale"))
        return
    await query.answer()
    await state.update_data(department=department.code)
    if isinstance(query.message, Message):
        await _after_department(
            query.message, state, session, member, t, clock, bot_username, timezone
        )


async def _after_department(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    t: Translator,
    clock: Clock,
    bot_username: str,
    timezone: ZoneInfo,
) -> None:
    data = await state.get_data()
    if data["role"] != Role.STAFF.value:
        await state.clear()
        await message.edit_text(t("invite.role_chosen", role=t(f"role.{data['role']}")))
        request = InviteRequest(role=Role(data["role"]), department_code=data["department"])
        await _issue(message, request, session, member, t, clock, bot_username, timezone)
        return
    await state.set_state(InviteForm.stores)
    await state.update_data(stores=[])
    await message.edit_text(
        t("invite.ask_stores"),
        reply_markup=await _stores_keyboard(session, data["department"], [], t),
    )


async def _department_store_codes(session: AsyncSession, department_code: str) -> list[str]:
    department = await catalog.get_department_by_code(session, department_code)
    if department is None:
        return []
    return [s.code for s in await catalog.list_stores(session, department_id=department.id)]


async def _stores_keyboard(
    session: AsyncSession, department_code: str, chosen: list[str], t: Translator
) -> InlineKeyboardMarkup:
    rows = [
        [_button(("✅ " if code in chosen else "▫️ ") + code, "store", code)]
        for code in await _department_store_codes(session, department_code)
    ]
    rows.append([_button(t("button.done"), "done")])
    return _keyboard(rows, t)


async def store_toggled(
    query: CallbackQuery,
    callback_data: InviteCallback,
    state: FSMContext,
    session: AsyncSession,
    t: Translator,
) -> None:
    data = await state.get_data()
    if callback_data.value not in await _department_store_codes(session, data["department"]):
        await query.answer(t("callback.stale"))
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
            reply_markup=await _stores_keyboard(session, data["department"], chosen, t)
        )


async def stores_done(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    t: Translator,
    clock: Clock,
    bot_username: str,
    timezone: ZoneInfo,
) -> None:
    data = await state.get_data()
    await state.clear()
    await query.answer()
    message = query.message
    if not isinstance(message, Message):
        return
    await message.edit_text(t("invite.stores_chosen", stores=", ".join(data["stores"]) or "—"))
    request = InviteRequest(
        role=Role.STAFF, department_code=data["department"], store_codes=tuple(data["stores"])
    )
    await _issue(message, request, session, member, t, clock, bot_username, timezone)


async def stale_invite_button(query: CallbackQuery, t: Translator) -> None:
    await query.answer(t("callback.stale"))


async def invite_catch_all(message: Message, t: Translator) -> None:
    await message.answer(t("invite.use_buttons"))


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
    router.message.register(invite_catch_all, StateFilter(InviteForm))
    return router
