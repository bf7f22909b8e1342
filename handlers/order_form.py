"""/order: pick a request type, answer its fields step by step, check the summary, submit.

Questions, Back, Skip and Cancel are the form engine's, with the order's adapter below. Here
also: the type pick, the choice and store buttons (re-checked against the member's scope),
file answers, and submit (refused while the target department has no manager; the answers
stay for a later try).
"""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.domain.order_draft import OrderDraft
from bot.domain.order_fields import Attachment
from bot.org.schema import OrgConfig
from bot.org.sections import OrderField, OrderType
from bot.services import order_form as form
from bot.services.orders import NoManagerError, create_order, deadline_of
from bot.services.scope import scope_of
from bot.views import order_form as views
from bot.views.order_form import OrderFormCallback, example_for
from bot.views.orders import field_value_text, local_text
from bot.views.safe import user_text
from handlers.context import Ctx
from handlers.form_engine import (
    STALE,
    Answered,
    FormAdapter,
    FormEngine,
    FormSpec,
    FormTexts,
    Lost,
    Outcome,
    Refused,
    Screen,
    Step,
)
from storage.models import Store

log = logging.getLogger(__name__)


class OrderForm(StatesGroup):
    pick = State()
    field = State()
    summary = State()


async def _stores(ctx: Ctx) -> list[Store]:
    return list((await scope_of(ctx.session, ctx.member)).stores)


def _type_and_field(org: OrgConfig, draft: OrderDraft) -> tuple[OrderType, OrderField | None]:
    """The draft's request type and its field being asked (None at the summary, or when the
    org file no longer has it)."""
    order_type = org.order_type(draft.type_code)
    if order_type is None:
        raise LookupError(f"order type {draft.type_code} is no longer in the org file")
    field = next((f for f in order_type.fields if f.key == draft.current), None)
    return order_type, field


def _echo(ctx: Ctx, field: OrderField, value: object) -> str:
    t = ctx.t
    return t(
        "order.echo",
        field=user_text(field.label.get(t.locale)),
        value=field_value_text(ctx.org, field, value, t),
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


class OrderFormAdapter(FormAdapter[OrderDraft]):
    spec = FormSpec(
        states=OrderForm,
        field_step=OrderForm.field,
        summary_step=OrderForm.summary,
        pick_step=OrderForm.pick,
        callback=OrderFormCallback,
        cursor=OrderDraft,
        texts=FormTexts.under("order"),
        back_from=(OrderForm.field, OrderForm.summary),
        hints={OrderForm.summary: "order.summary_use_buttons"},
    )

    async def question(self, ctx: Ctx, draft: OrderDraft, key: str) -> Screen:
        order_type, field = _type_and_field(ctx.org, draft)
        assert field is not None and field.key == key
        stores = await _stores(ctx) if field.type == "store" else []
        text = views.question_text(draft, ctx.org, order_type, field, stores, ctx.t)
        return text, views.question_keyboard(draft, field, stores, ctx.t)

    async def summary(self, ctx: Ctx, draft: OrderDraft) -> Screen:
        org = ctx.org
        order_type, _ = _type_and_field(org, draft)
        deadline = local_text(deadline_of(org, order_type, draft.answers, ctx.now()), org.tz)
        text = views.summary_text(draft, org, order_type, deadline, ctx.t)
        return text, views.summary_keyboard(draft, ctx.t)

    async def read(self, step: Step[OrderDraft]) -> Outcome:
        """Typed text or a file; stickers, voice notes, locations… get an example instead."""
        ctx, message = step.ctx, step.message
        order_type, field = _type_and_field(ctx.org, step.draft)
        if field is None:
            return Lost()
        attachment = attachment_of(message)
        if attachment is not None and message.text is None:
            result = form.read_attachment(field, attachment, [], ctx.t)
        else:
            stores = await _stores(ctx) if field.type == "store" else []
            if message.text is None:
                example = user_text(example_for(field, stores, ctx.t))
                return Refused(ctx.t("order.not_understood", example=example))
            result = form.read_text_answer(
                ctx.org, order_type, field, message.text, now=ctx.now(), stores=stores, t=ctx.t
            )
        if not result.ok:
            return Refused(result.error or "")
        step.draft.answer(field.key, result.value)
        return Answered(_echo(ctx, field, result.value))

    def skip_echo(self, ctx: Ctx, draft: OrderDraft, key: str) -> str | None:
        _, field = _type_and_field(ctx.org, draft)
        if field is None or field.required:
            return None
        return ctx.t("order.skipped_field", field=user_text(field.label.get(ctx.t.locale)))


FORM = FormEngine(OrderFormAdapter())


# --- entry -------------------------------------------------------------------------------------


async def start_form(message: Message, state: FSMContext, ctx: Ctx) -> None:
    org, t = ctx.org, ctx.t
    if not org.order_types:
        await message.answer(t("order.no_types"))
        return
    rid = await FORM.open_pick(state)
    await message.answer(t("order.pick_type"), reply_markup=views.types_keyboard(rid, org, t))


async def type_picked(
    query: CallbackQuery, callback_data: OrderFormCallback, state: FSMContext, ctx: Ctx
) -> None:
    order_type = ctx.org.order_type(callback_data.value)
    if not await FORM.pick_matches(state, callback_data.rid) or order_type is None:
        await query.answer(ctx.t(STALE))
        return
    await query.answer()
    if not isinstance(query.message, Message):
        return
    picked = user_text(order_type.name.get(ctx.t.locale))
    await query.message.edit_text(ctx.t("order.type_picked", type=picked), reply_markup=None)
    await FORM.advance(Step(ctx, state, query.message, OrderDraft.start(order_type)))


# --- buttons that answer -----------------------------------------------------------------------


async def _pressed_value(ctx: Ctx, field: OrderField, pressed: str) -> object:
    """The answer a choice or store button stands for; None when it is not valid (now)."""
    if field.type == "choice" and pressed.isdigit():
        index = int(pressed)
        return field.choices[index] if field.choices and index < len(field.choices) else None
    if field.type == "store":
        # Re-checked against the member's scope now: a forged store id is refused.
        store = next((s for s in await _stores(ctx) if str(s.id) == pressed), None)
        return {"id": store.id, "code": store.code} if store else None
    return None


async def value_pressed(
    query: CallbackQuery, callback_data: OrderFormCallback, state: FSMContext, ctx: Ctx
) -> None:
    draft = await FORM.load(state)
    if draft is None or draft.rid != callback_data.rid or draft.current is None:
        await query.answer(ctx.t(STALE))
        return
    _, field = _type_and_field(ctx.org, draft)
    value = await _pressed_value(ctx, field, callback_data.value) if field else None
    if field is None or value is None or not isinstance(query.message, Message):
        await query.answer(ctx.t(STALE))
        return
    await query.answer()
    draft.answer(field.key, value)
    await FORM.advance(Step(ctx, state, query.message, draft), _echo(ctx, field, value))


# --- submit ------------------------------------------------------------------------------------


def _department_name(ctx: Ctx, order_type: OrderType, fallback: str) -> str:
    department = ctx.org.department(order_type.department)
    return user_text(department.name.get(ctx.t.locale)) if department else fallback


async def submit_pressed(
    query: CallbackQuery, callback_data: OrderFormCallback, state: FSMContext, ctx: Ctx
) -> None:
    step = await FORM.button_step(query, callback_data, state, ctx)
    if step is None:
        return
    draft = step.draft
    order_type, _ = _type_and_field(ctx.org, draft)
    missing = draft.missing_required()
    if missing:
        await FORM.ask(step, missing[0])
        return
    try:
        order = await create_order(
            ctx.session,
            ctx.org,
            requester=ctx.member,
            order_type=order_type,
            answers=draft.answers,
            now=ctx.now(),
        )
    except NoManagerError:  # refused before anything was written
        await state.set_state(OrderForm.summary)
        await FORM.save(step)  # the answers stay; they may submit later
        name = _department_name(ctx, order_type, order_type.department)
        await step.message.answer(ctx.t("order.no_manager", department=name))
        return
    await state.clear()
    await ctx.save_before_announcing()  # the request exists for sure before its number is announced
    await step.message.edit_reply_markup(reply_markup=None)
    await step.message.answer(
        ctx.t("order.submitted", number=order.id, department=_department_name(ctx, order_type, "—"))
    )


def create_router() -> Router:
    router = Router(name="order_form")
    cb = router.callback_query
    cb.register(type_picked, OrderFormCallback.filter(F.action == "type"), OrderForm.pick)
    cb.register(value_pressed, OrderFormCallback.filter(F.action == "val"), OrderForm.field)
    cb.register(submit_pressed, OrderFormCallback.filter(F.action == "submit"), OrderForm.summary)
    FORM.install(router)  # Back, Skip, Cancel, answers, stale buttons and hints: last
    return router
