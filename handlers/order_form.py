"""/order: pick a request type, answer its fields step by step, check the summary, submit.

The draft lives in the FSM data (our database), so a restart loses nothing. Every button carries
the form run id and is checked against the current draft on arrival.
"""

from __future__ import annotations

import logging
import secrets

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.domain.order_fields import Attachment
from bot.i18n import Translator
from bot.org.schema import OrderField, OrderType, OrgConfig
from bot.services import order_form as form
from bot.services.order_draft import OrderDraft
from bot.services.orders import NoManagerError, create_order, deadline_of
from bot.services.scope import scope_of
from bot.views import order_form as views
from bot.views.order_form import OrderFormCallback
from bot.views.orders import field_value_text, local_text
from handlers.form_buttons import button_of_run, cancel_run
from storage.models import Member, Store

log = logging.getLogger(__name__)


class OrderForm(StatesGroup):
    pick = State()
    field = State()
    summary = State()


# --- helpers -----------------------------------------------------------------------------------


async def _stores(session: AsyncSession, member: Member) -> list[Store]:
    return list((await scope_of(session, member)).stores)


def _type_and_field(org: OrgConfig, draft: OrderDraft) -> tuple[OrderType, OrderField | None]:
    order_type = org.order_type(draft.type_code)
    if order_type is None:
        raise LookupError(f"order type {draft.type_code} is no longer in the org file")
    field = next((f for f in order_type.fields if f.key == draft.current), None)
    return order_type, field


async def _load(state: FSMContext) -> OrderDraft | None:
    return OrderDraft.from_data(await state.get_data())


async def _ask(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    draft: OrderDraft,
    key: str,
    t: Translator,
    echo: str | None = None,
) -> None:
    draft.current = key
    await state.set_state(OrderForm.field)
    await state.set_data(draft.to_data())
    order_type, field = _type_and_field(org, draft)
    assert field is not None
    stores = await _stores(session, member) if field.type == "store" else []
    text = views.question_text(draft, org, order_type, field, stores, t)
    if echo:
        text = f"{echo}\n\n{text}"
    await message.answer(text, reply_markup=views.question_keyboard(draft, field, stores, t))


async def _ask_next(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    draft: OrderDraft,
    clock: Clock,
    t: Translator,
    echo: str | None = None,
) -> None:
    key = draft.next_field()
    if key is not None:
        await _ask(message, state, session, member, org, draft, key, t, echo)
        return
    draft.current = None
    order_type, _ = _type_and_field(org, draft)
    await state.set_state(OrderForm.summary)
    await state.set_data(draft.to_data())
    deadline = local_text(deadline_of(org, order_type, draft.answers, clock.now()), org.tz)
    text = views.summary_text(draft, org, order_type, deadline, t)
    if echo:
        text = f"{echo}\n\n{text}"
    await message.answer(text, reply_markup=views.summary_keyboard(draft, t))


def _echo(org: OrgConfig, field: OrderField, value: object, t: Translator) -> str:
    return t(
        "order.echo",
        field=field.label.get(t.locale),
        value=field_value_text(org, field, value, t),
    )


# --- entry -------------------------------------------------------------------------------------


async def start_form(message: Message, state: FSMContext, org: OrgConfig, t: Translator) -> None:
    if not org.order_types:
        await message.answer(t("order.no_types"))
        return
    rid = secrets.token_hex(4)
    await state.set_state(OrderForm.pick)
    await state.set_data({"pick_rid": rid})
    await message.answer(t("order.pick_type"), reply_markup=views.types_keyboard(rid, org, t))


async def type_picked(
    query: CallbackQuery,
    callback_data: OrderFormCallback,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    clock: Clock,
    t: Translator,
) -> None:
    data = await state.get_data()
    order_type = org.order_type(callback_data.value)
    if data.get("pick_rid") != callback_data.rid or order_type is None:
        await query.answer(t("callback.stale"))
        return
    await query.answer()
    if not isinstance(query.message, Message):
        return
    await query.message.edit_text(
        t("order.type_picked", type=order_type.name.get(t.locale)), reply_markup=None
    )
    draft = OrderDraft.start(order_type)
    await _ask_next(query.message, state, session, member, org, draft, clock, t)


# --- answers -----------------------------------------------------------------------------------


async def _current(
    message: Message, state: FSMContext, org: OrgConfig, t: Translator
) -> tuple[OrderDraft, OrderType, OrderField] | None:
    draft = await _load(state)
    if draft is None or draft.current is None:
        await state.clear()
        await message.answer(t("order.lost"))
        return None
    order_type, field = _type_and_field(org, draft)
    if field is None:
        await state.clear()
        await message.answer(t("order.lost"))
        return None
    return draft, order_type, field


async def field_text(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    clock: Clock,
    t: Translator,
) -> None:
    current = await _current(message, state, org, t)
    if current is None:
        return
    draft, order_type, field = current
    stores = await _stores(session, member) if field.type in ("store",) else []
    result = form.read_text_answer(
        org, order_type, field, message.text or "", now=clock.now(), stores=stores, t=t
    )
    if not result.ok:
        await message.answer(result.error or "")
        return
    draft.answer(field.key, result.value)
    await _ask_next(
        message, state, session, member, org, draft, clock, t, _echo(org, field, result.value, t)
    )


def attachment_of(message: Message) -> Attachment | None:
    if message.photo:
        photo = message.photo[-1]
        return Attachment("photo", photo.file_id, "photo.jpg", "image/jpeg", photo.file_size)
    if message.document:
        doc = message.document
        return Attachment(
            "document", doc.file_id, doc.file_name or "file", doc.mime_type, doc.file_size
        )
    return None


async def field_file(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    clock: Clock,
    t: Translator,
) -> None:
    current = await _current(message, state, org, t)
    attachment = attachment_of(message)
    if current is None or attachment is None:
        return
    draft, _, field = current
    result = form.read_attachment(field, attachment, [], t)
    if not result.ok:
        await message.answer(result.error or "")
        return
    draft.answer(field.key, result.value)
    await _ask_next(
        message, state, session, member, org, draft, clock, t, _echo(org, field, result.value, t)
    )


async def field_other(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    t: Translator,
) -> None:
    """Stickers, voice notes, locations…: not an answer; show what is expected."""
    current = await _current(message, state, org, t)
    if current is None:
        return
    _, _, field = current
    stores = await _stores(session, member) if field.type == "store" else []
    await message.answer(t("order.not_understood", example=form.example_for(field, stores, t)))


# --- buttons -----------------------------------------------------------------------------------


async def _draft_for(
    query: CallbackQuery, callback_data: OrderFormCallback, state: FSMContext, t: Translator
) -> OrderDraft | None:
    return await button_of_run(query, await _load(state), callback_data.rid, t)


async def value_pressed(
    query: CallbackQuery,
    callback_data: OrderFormCallback,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    clock: Clock,
    t: Translator,
) -> None:
    draft = await _load(state)
    if draft is None or draft.rid != callback_data.rid or draft.current is None:
        await query.answer(t("callback.stale"))
        return
    _, field = _type_and_field(org, draft)
    value: object = None
    if field is not None and field.type == "choice" and callback_data.value.isdigit():
        index = int(callback_data.value)
        value = field.choices[index] if field.choices and index < len(field.choices) else None
    elif field is not None and field.type == "store":
        # Re-checked against the member's scope now: a forged store id is refused.
        store = next(
            (s for s in await _stores(session, member) if str(s.id) == callback_data.value), None
        )
        value = {"id": store.id, "code": store.code} if store else None
    if field is None or value is None or not isinstance(query.message, Message):
        await query.answer(t("callback.stale"))
        return
    await query.answer()
    draft.answer(field.key, value)
    await _ask_next(
        query.message, state, session, member, org, draft, clock, t, _echo(org, field, value, t)
    )


async def back_pressed(
    query: CallbackQuery,
    callback_data: OrderFormCallback,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    t: Translator,
) -> None:
    draft = await _draft_for(query, callback_data, state, t)
    if draft is None or not isinstance(query.message, Message):
        return
    previous = draft.previous_field()
    if previous is None:
        await query.message.answer(t("order.first_question"))
        return
    await _ask(query.message, state, session, member, org, draft, previous, t)


async def skip_pressed(
    query: CallbackQuery,
    callback_data: OrderFormCallback,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    clock: Clock,
    t: Translator,
) -> None:
    draft = await _draft_for(query, callback_data, state, t)
    if draft is None or draft.current is None or not isinstance(query.message, Message):
        return
    _, field = _type_and_field(org, draft)
    if field is None or field.required:
        await query.message.answer(t("order.cannot_skip"))
        return
    draft.skip(field.key)
    echo = t("order.skipped_field", field=field.label.get(t.locale))
    await _ask_next(query.message, state, session, member, org, draft, clock, t, echo)


async def cancel_pressed(
    query: CallbackQuery, callback_data: OrderFormCallback, state: FSMContext, t: Translator
) -> None:
    data = await state.get_data()
    draft = OrderDraft.from_data(data)
    current_rid = draft.rid if draft else data.get("pick_rid")
    await cancel_run(query, state, current_rid, callback_data.rid, t, "order.cancelled")


async def submit_pressed(
    query: CallbackQuery,
    callback_data: OrderFormCallback,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    clock: Clock,
    t: Translator,
) -> None:
    draft = await _draft_for(query, callback_data, state, t)
    if draft is None or not isinstance(query.message, Message):
        return
    order_type, _ = _type_and_field(org, draft)
    if draft.missing_required():
        await _ask(
            query.message, state, session, member, org, draft, draft.missing_required()[0], t
        )
        return
    try:
        order = await create_order(
            session,
            org,
            requester=member,
            order_type=order_type,
            answers=draft.answers,
            now=clock.now(),
        )
    except NoManagerError:  # refused before anything was written
        await state.set_state(OrderForm.summary)
        await state.set_data(draft.to_data())  # the answers stay; they may submit later
        department = org.department(order_type.department)
        name = department.name.get(t.locale) if department else order_type.department
        await query.message.answer(t("order.no_manager", department=name))
        return
    await state.clear()
    await session.commit()  # the request exists for sure before its number is announced
    department = org.department(order_type.department)
    await query.message.edit_reply_markup(reply_markup=None)
    await query.message.answer(
        t(
            "order.submitted",
            number=order.id,
            department=department.name.get(t.locale) if department else "—",
        )
    )


async def pick_text(message: Message, t: Translator) -> None:
    await message.answer(t("order.use_buttons"))


async def summary_text(message: Message, t: Translator) -> None:
    await message.answer(t("order.summary_use_buttons"))


async def stale_button(query: CallbackQuery, t: Translator) -> None:
    await query.answer(t("callback.stale"))


def create_router() -> Router:
    router = Router(name="order_form")
    cb = router.callback_query
    cb.register(type_picked, OrderFormCallback.filter(F.action == "type"), OrderForm.pick)
    cb.register(
        cancel_pressed, OrderFormCallback.filter(F.action == "cancel"), StateFilter(OrderForm)
    )
    cb.register(value_pressed, OrderFormCallback.filter(F.action == "val"), OrderForm.field)
    cb.register(
        back_pressed,
        OrderFormCallback.filter(F.action == "back"),
        StateFilter(OrderForm.field, OrderForm.summary),
    )
    cb.register(skip_pressed, OrderFormCallback.filter(F.action == "skip"), OrderForm.field)
    cb.register(submit_pressed, OrderFormCallback.filter(F.action == "submit"), OrderForm.summary)
    cb.register(stale_button, OrderFormCallback.filter())
    msg = router.message
    msg.register(field_text, OrderForm.field, F.text, ~F.text.startswith("/"))
    msg.register(field_file, OrderForm.field, F.document | F.photo)
    msg.register(field_other, OrderForm.field, ~F.text.startswith("/"))
    msg.register(pick_text, OrderForm.pick, ~F.text.startswith("/"))
    msg.register(summary_text, OrderForm.summary, ~F.text.startswith("/"))
    return router
