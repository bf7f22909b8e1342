"""/campaign: the running and coming campaigns; /campaign new: a manager's form (code, name,
dates, stores or brands, budget, targets, owners, then a summary with Create, Edit, Cancel).

Questions, Back, Skip, Cancel and the catch-alls are the form engine's; the adapter reads each
answer through ``bot.services.campaign_form`` (scope checked there) and Create checks the
manager's role again before writing.
"""

from __future__ import annotations

import logging
from datetime import date

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.domain.campaign_draft import CampaignDraft
from bot.domain.campaign_input import CampaignInputError
from bot.roles import Role
from bot.services import campaign_form as form
from bot.services import campaigns as service
from bot.services.kpi import as_of
from bot.services.scope import scope_of
from bot.views import campaigns as views
from bot.views.campaigns import CampaignCallback
from bot.views.safe import user_text
from handlers.context import Ctx
from handlers.filters import HasRole
from handlers.form_engine import (
    Answered,
    FormAdapter,
    FormEngine,
    FormSpec,
    FormTexts,
    Outcome,
    Refused,
    Screen,
    Step,
)

log = logging.getLogger(__name__)

CREATORS = (Role.MANAGER, Role.ADMIN)


class CampaignForm(StatesGroup):
    field = State()
    summary = State()


def _local_today(ctx: Ctx) -> date:
    return ctx.now().astimezone(ctx.tz).date()


class CampaignAdapter(FormAdapter[CampaignDraft]):
    spec = FormSpec(
        states=CampaignForm,
        field_step=CampaignForm.field,
        summary_step=CampaignForm.summary,
        pick_step=None,
        callback=CampaignCallback,
        cursor=CampaignDraft,
        texts=FormTexts.under("campaign"),
        back_from=(CampaignForm.field,),
        hints={CampaignForm.summary: "campaign.summary_use_buttons"},
    )

    async def question(self, ctx: Ctx, draft: CampaignDraft, key: str) -> Screen:
        extra = ""
        if key == "cover":
            extra = form.cover_choices(await scope_of(ctx.session, ctx.member))
        elif key == "targets":
            extra = form.metric_keys(ctx.org)
        text = views.question_text(draft, key, user_text(extra), ctx.t)
        return text, views.question_keyboard(draft, key, ctx.t)

    async def summary(self, ctx: Ctx, draft: CampaignDraft) -> Screen:
        return views.summary_text(ctx.org, draft, ctx.t), views.summary_keyboard(draft, ctx.t)

    async def read(self, step: Step[CampaignDraft]) -> Outcome:
        ctx, key = step.ctx, step.draft.current
        assert key is not None
        text = step.message.text
        if text is None:
            return Refused(views.error_text("not_text", key, ctx.t))
        scope = await scope_of(ctx.session, ctx.member)
        try:
            value = await form.read_answer(
                ctx.session, ctx.org, scope, key, text, _local_today(ctx)
            )
        except CampaignInputError as error:
            return Refused(views.error_text(error.message_key, key, ctx.t, **error.params))
        step.draft.answer(key, value)
        return Answered(views.echo(step.draft, key, ctx.t))

    def skip_echo(self, ctx: Ctx, draft: CampaignDraft, key: str) -> str | None:
        if key in draft.required:
            return None
        return ctx.t("campaign.skipped", field=ctx.t(f"campaign.field.{key}"))


FORM = FormEngine(CampaignAdapter())


async def campaign_command(
    message: Message, command: CommandObject, state: FSMContext, ctx: Ctx
) -> None:
    args = (command.args or "").strip().lower()
    if args in ("new", "moi", "mới", "tao", "tạo"):
        await start_form(message, state, ctx)
        return
    if args:
        await message.answer(ctx.t("campaign.usage"))
        return
    scope = await scope_of(ctx.session, ctx.member, ctx.stores_catalog)
    today = as_of(ctx.org, ctx.now())
    listed = await service.current_and_coming(ctx.session, scope, today)
    rows = [(item.info, item.progress) for item in listed]
    await message.answer(views.list_text(ctx.org, rows, today, ctx.t))


async def start_form(message: Message, state: FSMContext, ctx: Ctx) -> None:
    if Role(ctx.member.role) not in CREATORS:
        await message.answer(ctx.t("campaign.new_refused"))
        return
    scope = await scope_of(ctx.session, ctx.member)
    if not scope.stores:
        await message.answer(ctx.t("campaign.no_scope"))
        return
    await state.clear()
    draft = CampaignDraft.start()
    await FORM.advance(Step(ctx, state, message, draft))


async def edit_pressed(
    query: CallbackQuery, callback_data: CampaignCallback, state: FSMContext, ctx: Ctx
) -> None:
    step = await FORM.button_step(query, callback_data, state, ctx)
    if step is None:
        return
    if callback_data.value not in step.draft.fields:
        await step.message.answer(ctx.t("campaign.summary_use_buttons"))
        return
    await FORM.ask(step, callback_data.value)


async def create_pressed(
    query: CallbackQuery, callback_data: CampaignCallback, state: FSMContext, ctx: Ctx
) -> None:
    step = await FORM.button_step(query, callback_data, state, ctx)
    if step is None:
        return
    if Role(ctx.member.role) not in CREATORS:  # the role may have changed since the start
        await state.clear()
        await step.message.answer(ctx.t("campaign.new_refused"))
        return
    missing = step.draft.missing_required()
    if missing:
        await FORM.ask(step, missing[0])
        return
    scope = await scope_of(ctx.session, ctx.member)
    try:
        row = await form.create_from_answers(
            ctx.session, scope, step.draft.answers, ctx.member, ctx.now()
        )
    except CampaignInputError as error:  # changed meanwhile: that question again
        key = "code" if error.message_key == form.CODE_TAKEN else "cover"
        await step.message.answer(views.error_text(error.message_key, key, ctx.t, **error.params))
        await FORM.ask(step, key)
        return
    await state.clear()
    await ctx.save_before_announcing()  # the campaign exists for sure before it is announced
    log.info("campaign created code=%s member_id=%s", row.code, ctx.member.id)
    await step.message.edit_reply_markup(reply_markup=None)
    await step.message.answer(
        ctx.t("campaign.created", name=user_text(row.name), code=user_text(row.code))
    )


def create_router() -> Router:
    router = Router(name="campaigns")
    router.message.filter(F.chat.type == "private", HasRole(*Role))
    router.callback_query.filter(HasRole(*Role))
    router.message.register(campaign_command, Command("campaign"), StateFilter("*"))
    cb = router.callback_query
    cb.register(create_pressed, CampaignCallback.filter(F.action == "create"), CampaignForm.summary)
    cb.register(edit_pressed, CampaignCallback.filter(F.action == "edit"), CampaignForm.summary)
    FORM.install(router)  # Back, Skip, Cancel, answers, stale buttons and hints: last
    return router
