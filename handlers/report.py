"""/report: the daily report form. Step by step, or everything pasted in one message.

The draft lives in the FSM data (our database), so a restart loses nothing. Every button
carries the form run id and is checked against the current draft on arrival.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.domain.numbers import NumberError, examples_for, parse_number
from bot.domain.report_rules import check_cross, derived_values
from bot.domain.report_text import looks_like_report_text, parse_report_text
from bot.i18n import Translator
from bot.org.schema import BaseMetric, Form, OrgConfig
from bot.roles import REPORTERS, Role
from bot.services import alerts as alert_service
from bot.services import report_form as service
from bot.services.report_draft import Draft
from bot.services.reporting import (
    Subject,
    date_problem,
    default_business_date,
    form_of,
    requested_date,
    subjects_for,
)
from bot.views import reports as views
from bot.views.reports import ReportCallback
from handlers.filters import HasRole
from handlers.form_buttons import button_of_run, cancel_run
from storage.models import Member
from storage.repositories import reports

log = logging.getLogger(__name__)


class ReportForm(StatesGroup):
    pick = State()
    field = State()
    outlier = State()
    summary = State()
    edit = State()


# --- entry -----------------------------------------------------------------------------------


async def report_command(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    clock: Clock,
    t: Translator,
) -> None:
    form = form_of(org, member)
    if form is None:
        await message.answer(t("report.no_form"))
        return
    default = default_business_date(org, clock.now())
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
    subjects = await subjects_for(session, org, member, form)
    if not subjects:
        await message.answer(t("report.no_subjects"))
        return
    await state.clear()
    if len(subjects) == 1:
        await _open_draft(message, state, session, org, form, subjects[0], day, t)
        return
    rid = Draft.start(subjects[0], form.code, day, [], [], 0, {}).rid
    await state.set_state(ReportForm.pick)
    await state.set_data({"pick_rid": rid, "day": day.isoformat()})
    text, keyboard = await _pick_view(session, org, member, subjects, rid, day, default, t)
    await message.answer(text, reply_markup=keyboard)


async def _pick_view(
    session: AsyncSession,
    org: OrgConfig,
    member: Member,
    subjects: list[Subject],
    rid: str,
    day: date,
    default: date,
    t: Translator,
) -> tuple[str, InlineKeyboardMarkup]:
    """The store list for `day`, with buttons for the two days before it when allowed."""
    reported = await reports.reported_subjects(session, day, [s.key for s in subjects])
    role = Role(member.role)
    other_days = [
        d
        for d in (day - timedelta(days=1), day - timedelta(days=2))
        if date_problem(org, role, default, d) is None
    ]
    keyboard = views.pick_keyboard(rid, subjects, reported, other_days, t)
    return t("report.pick", day=views.day_text(day)), keyboard


async def _pick_form(
    state: FSMContext, callback_data: ReportCallback, member: Member, org: OrgConfig
) -> Form | None:
    """The member's form when the button belongs to the store pick now open, else None."""
    data = await state.get_data()
    if data.get("pick_rid") != callback_data.rid:
        return None
    return form_of(org, member)


async def day_picked(
    query: CallbackQuery,
    callback_data: ReportCallback,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    clock: Clock,
    t: Translator,
) -> None:
    form = await _pick_form(state, callback_data, member, org)
    default = default_business_date(org, clock.now())
    try:
        day = date.fromisoformat(callback_data.value)
    except ValueError:
        day = None
    if form is None or day is None or date_problem(org, Role(member.role), default, day):
        await query.answer(t("callback.stale"))
        return
    await query.answer()
    await state.update_data(day=day.isoformat())
    subjects = await subjects_for(session, org, member, form)
    text, keyboard = await _pick_view(
        session, org, member, subjects, callback_data.rid, day, default, t
    )
    if isinstance(query.message, Message):
        await query.message.edit_text(text, reply_markup=keyboard)


async def subject_picked(
    query: CallbackQuery,
    callback_data: ReportCallback,
    state: FSMContext,
    session: AsyncSession,
    member: Member,
    org: OrgConfig,
    t: Translator,
) -> None:
    form = await _pick_form(state, callback_data, member, org)
    subjects = await subjects_for(session, org, member, form) if form else []
    subject = next((s for s in subjects if views.button_key(s) == callback_data.value), None)
    if form is None or subject is None:
        await query.answer(t("callback.stale"))
        return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(t("report.picked", subject=subject.label))
        day = date.fromisoformat((await state.get_data())["day"])
        await _open_draft(query.message, state, session, org, form, subject, day, t)


async def _open_draft(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    org: OrgConfig,
    form: Form,
    subject: Subject,
    day: date,
    t: Translator,
) -> None:
    stored = await reports.load_report(session, subject.key, form.code, day)
    draft = Draft.start(
        subject,
        form.code,
        day,
        form.metric_keys,
        [k for k in form.metric_keys if org.is_required(form, k)],
        stored.revision if stored else 0,
        stored.values if stored else {},
    )
    if stored is not None:
        await message.answer(t("report.already_reported", day=views.day_text(day)))
        await _show_summary(message, state, session, org, draft, t)
        return
    await _ask_next(message, state, session, org, draft, t, echo=None)


async def open_form_for(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    org: OrgConfig,
    form: Form,
    subject: Subject,
    day: date,
    t: Translator,
) -> None:
    """Open the form straight at one subject and date (a reminder's store button); a report
    already there is shown for correction. Any form in progress is replaced."""
    await state.clear()
    await _open_draft(message, state, session, org, form, subject, day, t)


# --- asking ----------------------------------------------------------------------------------


async def _ask(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    org: OrgConfig,
    draft: Draft,
    key: str,
    t: Translator,
    echo: str | None,
) -> None:
    draft.current = key
    await state.set_state(ReportForm.field)
    await state.set_data(draft.to_data())
    metric = org.metric(key)
    assert isinstance(metric, BaseMetric)
    hints = await service.hints(session, draft, key)
    text = views.question_text(
        draft,
        org,
        key,
        t,
        previous=hints.previous,
        target=hints.target,
        examples=examples_for(metric.unit),
    )
    if echo:
        text = f"{echo}\n\n{text}"
    await message.answer(
        text, reply_markup=views.question_keyboard(draft, key not in draft.required, t)
    )


async def _ask_next(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    org: OrgConfig,
    draft: Draft,
    t: Translator,
    echo: str | None,
) -> None:
    key = None if draft.returning else draft.next_field()
    draft.returning = False
    if key is None:
        await _show_summary(message, state, session, org, draft, t, echo=echo)
        return
    await _ask(message, state, session, org, draft, key, t, echo)


async def field_answer(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    org: OrgConfig,
    t: Translator,
) -> None:
    draft = Draft.from_data(await state.get_data())
    if draft is None or draft.current is None:
        await state.clear()
        await message.answer(t("report.lost"))
        return
    text = message.text or ""
    if looks_like_report_text(text, service.field_specs(org, draft)):
        await _apply_pasted(message, state, session, org, draft, text, t)
        return
    key = draft.current
    metric = org.metric(key)
    assert isinstance(metric, BaseMetric)
    try:
        value = parse_number(text, metric.unit, integer=metric.integer)
    except NumberError as error:
        await message.answer(service.number_error_text(org, key, error, t))
        return
    problem = service.value_problem(org, draft, key, value, t)
    if problem:
        await message.answer(problem)
        return
    if key not in draft.confirmed_outliers and await service.is_outlier(session, draft, key, value):
        draft.pending_key, draft.pending_value = key, value
        await state.set_state(ReportForm.outlier)
        await state.set_data(draft.to_data())
        await message.answer(
            t(
                "report.outlier",
                field=views.label(org, key, t),
                value=views.fmt(org, key, value, t),
            ),
            reply_markup=views.outlier_keyboard(draft, t),
        )
        return
    draft.answer(key, value)
    echo = t("report.echo", field=views.label(org, key, t), value=views.fmt(org, key, value, t))
    await _ask_next(message, state, session, org, draft, t, echo)


async def _apply_pasted(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    org: OrgConfig,
    draft: Draft,
    text: str,
    t: Translator,
) -> None:
    result = parse_report_text(text, service.field_specs(org, draft))
    lines = []
    for key, value in result.values.items():
        problem = service.value_problem(org, draft, key, value, t)
        if problem:
            lines.append(f"✗ {problem}")
            continue
        draft.answer(key, value)
        lines.append(f"✓ {views.label(org, key, t)}: {views.fmt(org, key, value, t)}")
    for key, error in result.errors.items():
        lines.append(f"✗ {service.number_error_text(org, key, error, t)}")
    if result.unknown:
        lines.append(t("report.paste.unknown", lines=", ".join(f"«{u}»" for u in result.unknown)))
    if result.duplicates:
        names = ", ".join(views.label(org, key, t) for key in result.duplicates)
        lines.append(t("report.paste.duplicates", fields=names))
    draft.returning = False
    await _ask_next(message, state, session, org, draft, t, echo="\n".join(lines))


# --- buttons during the questions --------------------------------------------------------------


async def _draft_for(
    query: CallbackQuery, callback_data: ReportCallback, state: FSMContext, t: Translator
) -> Draft | None:
    return await button_of_run(query, Draft.from_data(await state.get_data()), callback_data.rid, t)


async def back_pressed(
    query: CallbackQuery,
    callback_data: ReportCallback,
    state: FSMContext,
    session: AsyncSession,
    org: OrgConfig,
    t: Translator,
) -> None:
    draft = await _draft_for(query, callback_data, state, t)
    if draft is None or not isinstance(query.message, Message):
        return
    previous = draft.previous_field()
    if previous is None:
        await query.message.answer(t("report.first_question"))
        return
    await _ask(query.message, state, session, org, draft, previous, t, echo=None)


async def skip_pressed(
    query: CallbackQuery,
    callback_data: ReportCallback,
    state: FSMContext,
    session: AsyncSession,
    org: OrgConfig,
    t: Translator,
) -> None:
    draft = await _draft_for(query, callback_data, state, t)
    if draft is None or draft.current is None or not isinstance(query.message, Message):
        return
    if draft.current in draft.required:
        await query.message.answer(t("report.cannot_skip"))
        return
    draft.skip(draft.current)
    echo = t("report.skipped", field=views.label(org, draft.current, t))
    await _ask_next(query.message, state, session, org, draft, t, echo)


async def cancel_pressed(
    query: CallbackQuery, callback_data: ReportCallback, state: FSMContext, t: Translator
) -> None:
    data = await state.get_data()
    draft = Draft.from_data(data)
    current_rid = draft.rid if draft else data.get("pick_rid")
    await cancel_run(query, state, current_rid, callback_data.rid, t, "report.cancelled")


async def outlier_decided(
    query: CallbackQuery,
    callback_data: ReportCallback,
    state: FSMContext,
    session: AsyncSession,
    org: OrgConfig,
    t: Translator,
) -> None:
    draft = await _draft_for(query, callback_data, state, t)
    if draft is None or draft.pending_key is None or not isinstance(query.message, Message):
        return
    key, value = draft.pending_key, draft.pending_value
    if callback_data.action == "retype" or value is None:
        draft.pending_key = draft.pending_value = None
        await _ask(query.message, state, session, org, draft, key, t, echo=None)
        return
    draft.confirmed_outliers.append(key)
    draft.answer(key, value)
    echo = t("report.echo", field=views.label(org, key, t), value=views.fmt(org, key, value, t))
    await _ask_next(query.message, state, session, org, draft, t, echo)


async def outlier_text(message: Message, t: Translator) -> None:
    await message.answer(t("report.outlier_use_buttons"))


# --- summary, edit, confirm --------------------------------------------------------------------


async def _show_summary(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    org: OrgConfig,
    draft: Draft,
    t: Translator,
    echo: str | None = None,
) -> None:
    draft.current = None
    missing = draft.missing_required()
    if missing:
        await _ask(message, state, session, org, draft, missing[0], t, echo=echo)
        return
    checks = service.cross_checks(org, draft)
    problems = [
        service.rule_text(org, p, t) for p in check_cross(draft.answers, checks, locale=t.locale)
    ]
    changes = reports.diff_values(draft.base_values, draft.values_to_save())
    targets = await service.daily_targets(session, draft)
    await state.set_state(ReportForm.summary)
    await state.set_data(draft.to_data())
    text = views.summary_text(
        draft,
        org,
        t,
        derived=derived_values(draft.answers, org),
        targets=targets,
        problems=problems,
        changes=changes,
    )
    if echo:
        text = f"{echo}\n\n{text}"
    can_confirm = not problems and (bool(changes) or not draft.is_correction())
    await message.answer(text, reply_markup=views.summary_keyboard(draft, can_confirm, t))


async def summary_pressed(
    query: CallbackQuery,
    callback_data: ReportCallback,
    state: FSMContext,
    session: AsyncSession,
    org: OrgConfig,
    t: Translator,
) -> None:
    draft = await _draft_for(query, callback_data, state, t)
    if draft is None or not isinstance(query.message, Message):
        return
    await _show_summary(query.message, state, session, org, draft, t)


async def edit_pressed(
    query: CallbackQuery,
    callback_data: ReportCallback,
    state: FSMContext,
    org: OrgConfig,
    t: Translator,
) -> None:
    draft = await _draft_for(query, callback_data, state, t)
    if draft is None or not isinstance(query.message, Message):
        return
    await state.set_state(ReportForm.edit)
    await query.message.answer(
        t("report.edit_pick"), reply_markup=views.edit_keyboard(draft, org, t)
    )


async def edit_field_pressed(
    query: CallbackQuery,
    callback_data: ReportCallback,
    state: FSMContext,
    session: AsyncSession,
    org: OrgConfig,
    t: Translator,
) -> None:
    draft = await _draft_for(query, callback_data, state, t)
    if draft is None or not isinstance(query.message, Message):
        return
    if callback_data.value not in draft.fields:
        return
    draft.returning = True
    await _ask(query.message, state, session, org, draft, callback_data.value, t, echo=None)


async def confirm_pressed(
    query: CallbackQuery,
    callback_data: ReportCallback,
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
    outcome = await service.save(session, draft, member, clock.now())
    if outcome.conflict is not None:
        await session.rollback()
        await state.set_data(draft.to_data())
        await query.message.answer(service.conflict_text(org, outcome, t))
        await _show_summary(query.message, state, session, org, draft, t)
        return
    # A late report or a correction re-checks the store's KPI alerts in the same transaction.
    await alert_service.recheck_after_report(
        session, org, draft.subject.store_id, draft.day, clock.now()
    )
    await session.commit()  # saved for sure before the receipt
    await state.clear()
    log.info(
        "report saved subject=%s day=%s revision=%s", draft.subject.key, draft.day, outcome.revision
    )
    await query.message.answer(views.receipt_text(draft, outcome.revision, outcome.changes, t))


async def summary_text_input(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    org: OrgConfig,
    t: Translator,
) -> None:
    """Pasting values at the summary updates them; anything else gets a hint."""
    draft = Draft.from_data(await state.get_data())
    if draft is None:
        await state.clear()
        await message.answer(t("report.lost"))
        return
    text = message.text or ""
    if looks_like_report_text(text, service.field_specs(org, draft)):
        await _apply_pasted(message, state, session, org, draft, text, t)
        return
    await message.answer(t("report.summary_use_buttons"))


async def pick_text(message: Message, t: Translator) -> None:
    await message.answer(t("report.pick_use_buttons"))


async def stale_button(query: CallbackQuery, t: Translator) -> None:
    await query.answer(t("callback.stale"))


def create_router() -> Router:
    router = Router(name="report")
    router.message.filter(F.chat.type == "private", HasRole(*REPORTERS))
    router.callback_query.filter(HasRole(*REPORTERS))
    router.message.register(report_command, Command("report"), StateFilter("*"))
    cb = router.callback_query
    cb.register(subject_picked, ReportCallback.filter(F.action == "pick"), ReportForm.pick)
    cb.register(day_picked, ReportCallback.filter(F.action == "day"), ReportForm.pick)
    cb.register(
        cancel_pressed, ReportCallback.filter(F.action == "cancel"), StateFilter(ReportForm)
    )
    cb.register(back_pressed, ReportCallback.filter(F.action == "back"), ReportForm.field)
    cb.register(skip_pressed, ReportCallback.filter(F.action == "skip"), ReportForm.field)
    cb.register(
        outlier_decided, ReportCallback.filter(F.action.in_({"keep", "retype"})), ReportForm.outlier
    )
    cb.register(edit_pressed, ReportCallback.filter(F.action == "edit"), ReportForm.summary)
    cb.register(summary_pressed, ReportCallback.filter(F.action == "summary"), ReportForm.edit)
    cb.register(edit_field_pressed, ReportCallback.filter(F.action == "field"), ReportForm.edit)
    cb.register(confirm_pressed, ReportCallback.filter(F.action == "confirm"), ReportForm.summary)
    cb.register(stale_button, ReportCallback.filter())
    router.message.register(field_answer, ReportForm.field, F.text)
    router.message.register(outlier_text, ReportForm.outlier)
    router.message.register(
        summary_text_input, StateFilter(ReportForm.summary, ReportForm.edit), F.text
    )
    router.message.register(pick_text, StateFilter(ReportForm))
    return router
