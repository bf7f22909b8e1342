"""/report: the daily report form. Step by step, or everything pasted in one message.

The questions, answers and summary are the form engine's with the report's adapter
(handlers/report_adapter.py); here: the entry with its store and day pick, the outlier
decision, editing one field from the summary, and confirming with conflict detection.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.domain.report_draft import Draft
from bot.domain.report_subject import Subject
from bot.org.sections import Form
from bot.roles import REPORTERS, Role
from bot.services import alert_recheck, campaigns
from bot.services import report_form as service
from bot.services.reporting import (
    date_problem,
    default_business_date,
    form_of,
    reported_keys,
    requested_date,
    subjects_for,
)
from bot.views import reports as views
from bot.views.reports import ReportCallback
from bot.views.safe import user_text
from handlers.context import Ctx
from handlers.filters import NOT_A_COMMAND, HasRole
from handlers.form_engine import STALE, Step
from handlers.report_adapter import FORM, ReportForm, answer_echo, apply_pasted, is_pasted_report

log = logging.getLogger(__name__)


# --- entry -----------------------------------------------------------------------------------


async def report_command(
    message: Message, command: CommandObject, state: FSMContext, ctx: Ctx
) -> None:
    org, t, member = ctx.org, ctx.t, ctx.member
    form = form_of(org, member)
    if form is None:
        await message.answer(t("report.no_form"))
        return
    default = default_business_date(org, ctx.now())
    day = requested_date(command.args, default)
    if day is None:
        await message.answer(t("report.date.invalid", example=default.isoformat()))
        return
    problem = date_problem(org, Role(member.role), default, day)
    if problem:
        days = service.backfill_limit(org, member)
        await message.answer(
            t(problem, day=views.day_text(day), days=days, example=default.isoformat())
        )
        return
    subjects = await subjects_for(ctx.session, org, member, form)
    if not subjects:
        await message.answer(t("report.no_subjects"))
        return
    await state.clear()
    if len(subjects) == 1:
        draft = await service.start_draft(ctx.session, org, form, subjects[0], day)
        await _open_draft(message, state, ctx, draft)
        return
    rid = await FORM.open_pick(state, day=day.isoformat())
    text, keyboard = await _pick_view(ctx, subjects, rid, day, default)
    await message.answer(text, reply_markup=keyboard)


async def _pick_view(
    ctx: Ctx, subjects: list[Subject], rid: str, day: date, default: date
) -> tuple[str, InlineKeyboardMarkup]:
    """The store list for `day`, with buttons for the two days before it when allowed."""
    reported = await reported_keys(ctx.session, day, subjects)
    role = Role(ctx.member.role)
    other_days = [
        d
        for d in (day - timedelta(days=1), day - timedelta(days=2))
        if date_problem(ctx.org, role, default, d) is None
    ]
    keyboard = views.pick_keyboard(rid, subjects, reported, other_days, ctx.t)
    return ctx.t("report.pick", day=views.day_text(day)), keyboard


async def _pick_form(state: FSMContext, callback_data: ReportCallback, ctx: Ctx) -> Form | None:
    """The member's form when the button belongs to the store pick now open, else None."""
    if not await FORM.pick_matches(state, callback_data.rid):
        return None
    return form_of(ctx.org, ctx.member)


async def day_picked(
    query: CallbackQuery, callback_data: ReportCallback, state: FSMContext, ctx: Ctx
) -> None:
    form = await _pick_form(state, callback_data, ctx)
    default = default_business_date(ctx.org, ctx.now())
    try:
        day = date.fromisoformat(callback_data.value)
    except ValueError:
        day = None
    if form is None or day is None or date_problem(ctx.org, Role(ctx.member.role), default, day):
        await query.answer(ctx.t(STALE))
        return
    await query.answer()
    await state.update_data(day=day.isoformat())
    subjects = await subjects_for(ctx.session, ctx.org, ctx.member, form)
    text, keyboard = await _pick_view(ctx, subjects, callback_data.rid, day, default)
    if isinstance(query.message, Message):
        await query.message.edit_text(text, reply_markup=keyboard)


async def subject_picked(
    query: CallbackQuery, callback_data: ReportCallback, state: FSMContext, ctx: Ctx
) -> None:
    form = await _pick_form(state, callback_data, ctx)
    subjects = await subjects_for(ctx.session, ctx.org, ctx.member, form) if form else []
    subject = next((s for s in subjects if views.button_key(s) == callback_data.value), None)
    if form is None or subject is None:
        await query.answer(ctx.t(STALE))
        return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(ctx.t("report.picked", subject=user_text(subject.label)))
        day = date.fromisoformat((await state.get_data())["day"])
        draft = await service.start_draft(ctx.session, ctx.org, form, subject, day)
        await _open_draft(query.message, state, ctx, draft)


async def _open_draft(message: Message, state: FSMContext, ctx: Ctx, draft: Draft) -> None:
    step = Step(ctx, state, message, draft)
    if draft.is_correction():
        await message.answer(ctx.t("report.already_reported", day=views.day_text(draft.day)))
        await FORM.show_summary(step)
        return
    await FORM.advance(step)


async def open_form_for(message: Message, state: FSMContext, ctx: Ctx, draft: Draft) -> None:
    """Open the form straight at one subject and date (a reminder's store button); a report
    already there is shown for correction. Any form in progress is replaced."""
    await state.clear()
    await _open_draft(message, state, ctx, draft)


# --- the outlier decision --------------------------------------------------------------------


async def outlier_decided(
    query: CallbackQuery, callback_data: ReportCallback, state: FSMContext, ctx: Ctx
) -> None:
    step = await FORM.button_step(query, callback_data, state, ctx)
    key = step.draft.pending_key if step else None
    if step is None or key is None:
        return
    draft, value = step.draft, step.draft.pending_value
    if callback_data.action == "retype" or value is None:
        draft.pending_key = draft.pending_value = None
        await FORM.ask(step, key)
        return
    draft.confirmed_outliers.append(key)
    draft.answer(key, value)
    await FORM.advance(step, answer_echo(ctx, key, value))


# --- summary, edit, confirm --------------------------------------------------------------------


async def summary_pressed(
    query: CallbackQuery, callback_data: ReportCallback, state: FSMContext, ctx: Ctx
) -> None:
    step = await FORM.button_step(query, callback_data, state, ctx)
    if step is not None:
        await FORM.show_summary(step)


async def edit_pressed(
    query: CallbackQuery, callback_data: ReportCallback, state: FSMContext, ctx: Ctx
) -> None:
    step = await FORM.button_step(query, callback_data, state, ctx)
    if step is None:
        return
    await state.set_state(ReportForm.edit)
    await step.message.answer(
        ctx.t("report.edit_pick"), reply_markup=views.edit_keyboard(step.draft, ctx.org, ctx.t)
    )


async def edit_field_pressed(
    query: CallbackQuery, callback_data: ReportCallback, state: FSMContext, ctx: Ctx
) -> None:
    """One field asked again from the summary; its answer leads back to the summary."""
    draft = await FORM.load(state)
    if draft is not None and callback_data.value not in draft.fields:  # a tampered button
        await query.answer(ctx.t(STALE))
        return
    step = await FORM.button_step(query, callback_data, state, ctx)
    if step is None:
        return
    step.draft.returning = True
    await FORM.ask(step, callback_data.value)


async def confirm_pressed(
    query: CallbackQuery, callback_data: ReportCallback, state: FSMContext, ctx: Ctx
) -> None:
    step = await FORM.button_step(query, callback_data, state, ctx)
    if step is None:
        return
    session, draft = ctx.session, step.draft
    outcome = await service.save(session, draft, ctx.member, ctx.now())
    if outcome.conflict is not None:
        await ctx.discard_changes()
        await FORM.save(step)
        await step.message.answer(service.conflict_text(ctx.org, outcome, ctx.t))
        await FORM.show_summary(step)
        return
    # A late report or a correction re-checks the store's KPI alerts in the same transaction.
    await alert_recheck.recheck_after_report(
        session, ctx.org, draft.subject.store_id, draft.day, ctx.now()
    )
    await ctx.save_before_announcing()  # saved for sure before the receipt
    await state.clear()
    log.info(
        "report saved subject=%s day=%s revision=%s", draft.subject.key, draft.day, outcome.revision
    )
    await step.message.answer(views.receipt_text(draft, outcome.revision, outcome.changes, ctx.t))


async def campaign_tag_pressed(
    query: CallbackQuery, callback_data: ReportCallback, state: FSMContext, ctx: Ctx
) -> None:
    """A person's output tagged to a running campaign (or to none): re-checked against the
    campaigns running on the report's day now, then the summary again."""
    step = await FORM.button_step(query, callback_data, state, ctx)
    if step is None:
        return
    draft = step.draft
    offered = await campaigns.tags_offered(ctx.session, draft.subject.member_id, draft.day)
    value = callback_data.value
    if value != "0" and value not in {str(c.id) for c in offered}:
        await step.message.answer(ctx.t(STALE))
        return
    draft.campaign_id = int(value) if value != "0" else None
    draft.campaign_set = True
    await FORM.show_summary(step)


async def summary_text_input(message: Message, state: FSMContext, ctx: Ctx) -> None:
    """Pasting values at the summary updates them; anything else gets a hint."""
    step = await FORM.message_step(message, state, ctx)
    if step is None:
        return
    text = message.text or ""
    if is_pasted_report(ctx, step.draft, text):
        await FORM.advance(step, apply_pasted(ctx, step.draft, text).echo)
        return
    await message.answer(ctx.t("report.summary_use_buttons"))


def create_router() -> Router:
    router = Router(name="report")
    router.message.filter(F.chat.type == "private", HasRole(*REPORTERS))
    router.callback_query.filter(HasRole(*REPORTERS))
    router.message.register(report_command, Command("report"), StateFilter("*"))
    cb = router.callback_query
    cb.register(subject_picked, ReportCallback.filter(F.action == "pick"), ReportForm.pick)
    cb.register(day_picked, ReportCallback.filter(F.action == "day"), ReportForm.pick)
    cb.register(
        outlier_decided, ReportCallback.filter(F.action.in_({"keep", "retype"})), ReportForm.outlier
    )
    cb.register(edit_pressed, ReportCallback.filter(F.action == "edit"), ReportForm.summary)
    cb.register(summary_pressed, ReportCallback.filter(F.action == "summary"), ReportForm.edit)
    cb.register(edit_field_pressed, ReportCallback.filter(F.action == "field"), ReportForm.edit)
    cb.register(confirm_pressed, ReportCallback.filter(F.action == "confirm"), ReportForm.summary)
    cb.register(campaign_tag_pressed, ReportCallback.filter(F.action == "camp"), ReportForm.summary)
    router.message.register(
        summary_text_input, StateFilter(ReportForm.summary, ReportForm.edit), F.text, NOT_A_COMMAND
    )
    FORM.install(router)  # Back, Skip, Cancel, answers, stale buttons and hints: last
    return router
