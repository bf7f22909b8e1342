"""The daily report form as the form engine sees it: its questions, its summary, its answers.

A question shows one metric with hints (the value so far, the last report's, the day's target).
An answer is a number in the metric's unit, or a whole report pasted in one message; an
unusual value waits for "keep" or "retype" first (the outlier step).
"""

from __future__ import annotations

from aiogram import F
from aiogram.fsm.state import State, StatesGroup

from bot.domain.numbers import NumberError, examples_for, parse_number
from bot.domain.report_draft import Draft
from bot.domain.report_rules import check_cross, derived_values
from bot.domain.report_text import looks_like_report_text, parse_report_text
from bot.domain.revisions import diff_values
from bot.org.sections import BaseMetric
from bot.services import campaigns
from bot.services import report_form as service
from bot.views import campaigns as campaign_views
from bot.views import reports as views
from bot.views.reports import ReportCallback
from bot.views.safe import ECHO_LIMIT, user_text
from handlers.context import Ctx
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


class ReportForm(StatesGroup):
    pick = State()
    field = State()
    outlier = State()
    summary = State()
    edit = State()


def answer_echo(ctx: Ctx, key: str, value: float) -> str:
    org, t = ctx.org, ctx.t
    return t("report.echo", field=views.label(org, key, t), value=views.fmt(org, key, value, t))


def is_pasted_report(ctx: Ctx, draft: Draft, text: str) -> bool:
    """True when ``text`` names fields with values, rather than answering one question."""
    return looks_like_report_text(text, service.field_specs(ctx.org, draft))


def apply_pasted(ctx: Ctx, draft: Draft, text: str) -> Answered:
    """Take every valid value of a pasted report; the echo lists what was taken and why the
    rest was not. The form then goes on at the first field still open."""
    org, t = ctx.org, ctx.t
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
        unknown = ", ".join(f"«{user_text(u, ECHO_LIMIT)}»" for u in result.unknown)
        lines.append(t("report.paste.unknown", lines=unknown))
    if result.duplicates:
        names = ", ".join(views.label(org, key, t) for key in result.duplicates)
        lines.append(t("report.paste.duplicates", fields=names))
    draft.returning = False
    return Answered("\n".join(lines))


async def ask_outlier(step: Step[Draft], key: str, value: float) -> None:
    """A value far from the usual: keep it or retype it, before going on."""
    org, t, draft = step.ctx.org, step.ctx.t, step.draft
    draft.pending_key, draft.pending_value = key, value
    await step.state.set_state(ReportForm.outlier)
    await step.state.set_data(draft.to_data())
    await step.message.answer(
        t("report.outlier", field=views.label(org, key, t), value=views.fmt(org, key, value, t)),
        reply_markup=views.outlier_keyboard(draft, t),
    )


def _metric(ctx: Ctx, key: str) -> BaseMetric:
    metric = ctx.org.metric(key)
    assert isinstance(metric, BaseMetric)
    return metric


class ReportFormAdapter(FormAdapter[Draft]):
    spec = FormSpec(
        states=ReportForm,
        field_step=ReportForm.field,
        summary_step=ReportForm.summary,
        pick_step=ReportForm.pick,
        callback=ReportCallback,
        cursor=Draft,
        # "choose with the buttons" also answers a sticker at a question
        texts=FormTexts.under("report", use_buttons="report.pick_use_buttons"),
        back_from=(ReportForm.field,),
        answers=(F.text,),
        hints={ReportForm.outlier: "report.outlier_use_buttons"},
    )

    async def question(self, ctx: Ctx, draft: Draft, key: str) -> Screen:
        metric = _metric(ctx, key)
        hints = await service.hints(ctx.session, draft, key)
        text = views.question_text(
            draft,
            ctx.org,
            key,
            ctx.t,
            previous=hints.previous,
            target=hints.target,
            examples=examples_for(metric.unit),
        )
        return text, views.question_keyboard(draft, key not in draft.required, ctx.t)

    async def summary(self, ctx: Ctx, draft: Draft) -> Screen:
        org, t = ctx.org, ctx.t
        checks = service.cross_checks(org, draft)
        problems = [
            service.rule_text(org, p, t)
            for p in check_cross(draft.answers, checks, locale=t.locale)
        ]
        changes = diff_values(draft.base_values, draft.values_to_save())
        targets = await service.daily_targets(ctx.session, draft)
        text = views.summary_text(
            draft,
            org,
            t,
            derived=derived_values(draft.answers, org),
            targets=targets,
            problems=problems,
            changes=changes,
        )
        # A correction that changes nothing has nothing to confirm.
        changed = bool(changes) or draft.campaign_set  # a new campaign tag is a change too
        can_confirm = not problems and (changed or not draft.is_correction())
        keyboard = views.summary_keyboard(draft, can_confirm, t)
        offered = await campaigns.tags_offered(ctx.session, draft.subject.member_id, draft.day)
        if offered:  # the optional campaign tag of a person's output
            text += "\n" + campaign_views.tag_line(offered, draft.campaign_id, t)
            keyboard = campaign_views.with_tag_buttons(keyboard, draft, offered, t)
        return text, keyboard

    async def read(self, step: Step[Draft]) -> Outcome:
        ctx, draft, text = step.ctx, step.draft, step.message.text or ""
        if is_pasted_report(ctx, draft, text):
            return apply_pasted(ctx, draft, text)
        key = draft.current
        assert key is not None
        metric = _metric(ctx, key)
        try:
            value = parse_number(text, metric.unit, integer=metric.integer, maximum=metric.max)
        except NumberError as error:
            return Refused(service.number_error_text(ctx.org, key, error, ctx.t))
        problem = service.value_problem(ctx.org, draft, key, value, ctx.t)
        if problem:
            return Refused(problem)
        confirmed = key in draft.confirmed_outliers
        if not confirmed and await service.is_outlier(ctx.session, draft, key, value):
            await ask_outlier(step, key, value)
            return None
        draft.answer(key, value)
        return Answered(answer_echo(ctx, key, value))

    def skip_echo(self, ctx: Ctx, draft: Draft, key: str) -> str | None:
        if key in draft.required:
            return None
        return ctx.t("report.skipped", field=views.label(ctx.org, key, ctx.t))


FORM = FormEngine(ReportFormAdapter())
