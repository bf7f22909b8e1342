"""Decisions of the report form that need the org file or the database (hints, checks, save)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.metric_lookup import is_required
from bot.domain.numbers import NOT_A_NUMBER, NumberError, examples_for, parse_number
from bot.domain.plan_days import daily_share
from bot.domain.report_draft import Draft
from bot.domain.report_rules import RuleProblem, check_cross, check_value, outlier
from bot.domain.report_subject import Subject
from bot.domain.report_text import FieldSpec, field_specs_for_form
from bot.domain.revisions import Change
from bot.i18n import Translator
from bot.org.formula import Comparison
from bot.org.schema import OrgConfig
from bot.org.sections import BaseMetric, Form
from bot.roles import Role
from bot.services.reporting import backfill_days
from bot.views.safe import user_params, user_text
from storage.models import Member
from storage.repositories import campaigns as campaign_repo
from storage.repositories import plans, reports
from storage.repositories.reports import StaleReportError, StoredReport


def backfill_limit(org: OrgConfig, member: Member) -> int:
    return backfill_days(org, Role(member.role))


async def start_draft(
    session: AsyncSession, org: OrgConfig, form: Form, subject: Subject, day: date
) -> Draft:
    """A new run of ``form`` for ``subject`` and ``day``; a report already saved there is the
    base of a correction (``draft.is_correction()``)."""
    stored = await reports.load_report(session, subject.key, form.code, day)
    return Draft.start(
        subject,
        form.code,
        day,
        form.metric_keys,
        [k for k in form.metric_keys if is_required(org, form, k)],
        stored.revision if stored else 0,
        stored.values if stored else {},
    )


def _form(org: OrgConfig, draft: Draft) -> Form:
    form = org.form_for_department(draft.form)
    if form is None:
        raise LookupError(f"form {draft.form} is no longer in the org file")
    return form


def field_specs(org: OrgConfig, draft: Draft) -> list[FieldSpec]:
    return field_specs_for_form(org, draft.form)


def cross_checks(org: OrgConfig, draft: Draft) -> tuple[Comparison, ...]:
    return tuple(_form(org, draft).cross_checks)


def _metric(org: OrgConfig, key: str) -> BaseMetric:
    metric = org.metric(key)
    if not isinstance(metric, BaseMetric):
        raise LookupError(f"{key} is not a base metric")
    return metric


def number_error_text(org: OrgConfig, key: str, error: NumberError, t: Translator) -> str:
    metric = _metric(org, key)
    first, second = examples_for(metric.unit)
    return t(
        "report.bad_value",
        field=user_text(metric.label.get(t.locale)),
        reason=t(f"number.{error.message_key}", **user_params(error.params)),
        first=first,
        second=second,
    )


def unreadable_text(org: OrgConfig, key: str, text: str, t: Translator) -> str:
    """The refusal of ``text`` as the value of ``key`` (a command typed at a question)."""
    metric = _metric(org, key)
    try:
        parse_number(text, metric.unit, integer=metric.integer, maximum=metric.max)
    except NumberError as error:
        return number_error_text(org, key, error, t)
    return number_error_text(org, key, NumberError(NOT_A_NUMBER, {"text": text}), t)


def rule_text(org: OrgConfig, problem: RuleProblem, t: Translator) -> str:
    """The problem in words; parameters naming a metric key are shown as its label."""
    params = dict(problem.params)
    for name, value in problem.params.items():
        metric = org.metric(value) if isinstance(value, str) else None
        if metric is not None:
            params[name] = user_text(metric.label.get(t.locale))
    return t(f"rule.{problem.message_key}", **params)


def value_problem(
    org: OrgConfig, draft: Draft, key: str, value: float, t: Translator
) -> str | None:
    """Range of the metric, then the form's cross-field rules that involve this field."""
    metric = _metric(org, key)
    spec = next(s for s in field_specs(org, draft) if s.key == key)
    problem = check_value(spec, value, metric.min, metric.max, locale=t.locale)
    if problem is not None:
        return rule_text(org, problem, t)
    values = {**draft.answers, key: value}
    involved = [c for c in cross_checks(org, draft) if key in c.variables]
    problems = check_cross(values, involved, locale=t.locale)
    return rule_text(org, problems[0], t) if problems else None


async def is_outlier(session: AsyncSession, draft: Draft, key: str, value: float) -> bool:
    recent = await reports.recent_values(session, draft.subject.key, key, draft.day, days=7)
    return outlier(value, recent)


@dataclass(frozen=True)
class Hints:
    previous: tuple[date, float] | None
    target: float | None


async def hints(session: AsyncSession, draft: Draft, key: str) -> Hints:
    previous = await reports.previous_values(session, draft.subject.key, draft.form, draft.day)
    last = None
    if previous is not None and key in previous[1]:
        last = (previous[0], previous[1][key])
    targets = await daily_targets(session, draft)
    return Hints(previous=last, target=targets.get(key))


async def daily_targets(session: AsyncSession, draft: Draft) -> dict[str, float]:
    """Today's share of each monthly target of the draft's store (none for person forms)."""
    if draft.subject.store_id is None:
        return {}
    month = draft.day.strftime("%Y-%m")
    monthly = await plans.month_targets(session, draft.subject.store_id, month)
    return {
        metric: target * daily_share(draft.day, weights)
        for metric, (target, weights) in monthly.items()
        if metric in draft.fields
    }


@dataclass
class SaveOutcome:
    revision: int = 0
    changes: list[Change] = field(default_factory=list)
    conflict: StoredReport | None = None
    conflict_by: str | None = None


async def save(session: AsyncSession, draft: Draft, member: Member, now: datetime) -> SaveOutcome:
    """Save the draft, or report who changed the same report in the meantime (then rebase)."""
    try:
        report_id, revision, changes = await reports.save_report(
            session,
            subject_key=draft.subject.key,
            store_id=draft.subject.store_id,
            member_id=draft.subject.member_id,
            form=draft.form,
            business_date=draft.day,
            values=draft.values_to_save(),
            expected_revision=draft.base_revision,
            actor_id=member.id,
            now=now,
            source="chat",
        )
    except StaleReportError as stale:
        current = stale.current
        if current is not None:
            draft.rebase(current.revision, current.values)
        name = await reports.member_name(session, current.updated_by_id) if current else None
        return SaveOutcome(conflict=current, conflict_by=name)
    if draft.campaign_set and draft.subject.member_id is not None:
        await campaign_repo.set_report_campaign(session, report_id, draft.campaign_id)
    return SaveOutcome(revision=revision, changes=changes)


def conflict_text(org: OrgConfig, outcome: SaveOutcome, t: Translator) -> str:
    current = outcome.conflict
    at = current.updated_at.astimezone(org.tz).strftime("%H:%M %d/%m") if current else "—"
    return t("report.conflict", who=user_text(outcome.conflict_by or "—"), at=at)
