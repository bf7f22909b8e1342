"""Plan texts shared by the chat and the command line: problems, previews, a store's plan;
and the Confirm / Cancel buttons under a preview in chat."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.months import YearMonth
from bot.domain.number_format import format_compact, format_value
from bot.domain.numbers import examples_for
from bot.domain.person_targets import PersonChange
from bot.domain.plan_days import daily_plan
from bot.domain.plan_preview import KINDS, PlanChange, PlanPreview, StorePlan
from bot.domain.plan_rows import PlanProblem
from bot.i18n import Translator
from bot.org.fields import Unit
from bot.org.schema import OrgConfig
from bot.org.sections import BaseMetric
from bot.views.safe import user_text

MAX_PROBLEMS_SHOWN = 25
MAX_LINES_SHOWN = 12
MAX_MESSAGE_CHARS = 3800  # Telegram's limit is 4096


class PlanCallback(CallbackData, prefix="plan"):
    action: str  # ok | no
    iid: str  # the import (preview) the button belongs to


def preview_keyboard(iid: str, t: Translator) -> InlineKeyboardMarkup:
    def button(key: str, action: str) -> InlineKeyboardButton:
        data = PlanCallback(action=action, iid=iid).pack()
        return InlineKeyboardButton(text=t(key), callback_data=data)

    row = [button("plan.button.confirm", "ok"), button("plan.button.cancel", "no")]
    return InlineKeyboardMarkup(inline_keyboard=[row])


def problem_text(problem: PlanProblem, t: Translator) -> str:
    params = dict(problem.params)
    unit: Unit = "number" if params.get("unit") == "number" else "money"
    first, second = examples_for(unit)
    params.setdefault("example", f"{first}, {second}")
    if problem.code == "missing_column":
        params["field"] = t(f"plan.field.{params.get('field', 'target')}")
    text = t(f"plan.problem.{problem.code}", **params)
    if params.get("hint"):
        text += " (" + t("plan.problem.did_you_mean", value=params["hint"]) + ")"
    where = _where(problem, t)
    return f"{where}: {text}" if where else text


def _where(problem: PlanProblem, t: Translator) -> str:
    parts = []
    if problem.sheet:
        parts.append(t("plan.where.sheet", sheet=problem.sheet))
    if problem.row is not None:
        parts.append(t("plan.where.row", row=problem.row))
    if problem.column:
        parts.append(t("plan.where.column", column=problem.column))
    return ", ".join(parts)


def problems_text(
    file_name: str,
    problems: Sequence[PlanProblem],
    t: Translator,
    *,
    html: bool = True,
    max_shown: int = MAX_PROBLEMS_SHOWN,
    max_chars: int = MAX_MESSAGE_CHARS,
) -> str:
    """The problems, one a line; the chat shows the first ones that fit in a message."""
    quote = user_text if html else (lambda text: text)
    lines = [t("plan.import.problems_title", name=quote(file_name), count=len(problems))]
    shown = 0
    for problem in problems[: max_shown or None]:
        line = f"• {quote(problem_text(problem, t))}"
        if max_chars and sum(len(x) + 1 for x in lines) + len(line) > max_chars:
            break
        lines.append(line)
        shown += 1
    if shown < len(problems):
        lines.append(t("plan.import.more_problems", count=len(problems) - shown))
    lines.append(t("plan.import.problems_footer"))
    return "\n".join(lines)


def weights_text(weights: Mapping[str, float], month: YearMonth, t: Translator) -> str:
    if not weights:
        return t("plan.weights.none")
    return ", ".join(
        t(
            "plan.weights.item",
            day=f"{int(day):02d}",
            month=f"{month.month:02d}",
            weight=format_compact(weight, t.locale).replace(" ", ""),
        )
        for day, weight in weights.items()
    )


def _value(org: OrgConfig, metric: str, value: float, t: Translator) -> str:
    found = org.metric(metric)
    if not isinstance(found, BaseMetric):
        return format_compact(value, t.locale)
    label = found.unit_label.get(t.locale) if found.unit_label else None
    return format_value(value, found.unit, t.locale, unit_label=label)


def _metric_label(org: OrgConfig, key: str, t: Translator) -> str:
    metric = org.metric(key)
    return metric.label.get(t.locale) if metric else key


def _month_of(change: PlanChange) -> YearMonth:
    year, month = change.month.split("-")
    return YearMonth(int(year), int(month))


def _change_line(org: OrgConfig, change: PlanChange, t: Translator) -> str:
    common = {
        "store": user_text(change.store),
        "metric": user_text(_metric_label(org, change.metric, t)),
        "month": _month_of(change).label(),
    }
    new = _value(org, change.metric, change.new_target, t)
    if change.kind == "new":
        return t("plan.import.line_new", new=new, **common)
    if change.old_target != change.new_target:
        old = _value(org, change.metric, change.old_target or 0.0, t)
        return t("plan.import.line_changed", old=old, new=new, **common)
    month = _month_of(change)
    return t(
        "plan.import.line_weights",
        old=weights_text(change.old_weights or {}, month, t),
        new=weights_text(change.new_weights, month, t),
        **common,
    )


def preview_text(
    org: OrgConfig, file_name: str, preview: PlanPreview, t: Translator, *, buttons: bool = True
) -> str:
    months = ", ".join(YearMonth(*map(int, m.split("-"))).label() for m in preview.months)
    counts = preview.counts
    lines = [
        t("plan.import.preview_title", name=user_text(file_name), months=months),
        t("plan.import.counts", **counts),
    ]
    if preview.skipped:
        lines.append(t("plan.import.skipped", count=preview.skipped))
    shown = [c for c in preview.changes if c.kind != "unchanged"]
    lines += [_change_line(org, c, t) for c in shown[:MAX_LINES_SHOWN]]
    if len(shown) > MAX_LINES_SHOWN:
        lines.append(t("plan.import.more_lines", count=len(shown) - MAX_LINES_SHOWN))
    for change in _one_per_month(preview.changes):
        month = _month_of(change)
        lines.append(t("plan.import.weights", weights=weights_text(change.new_weights, month, t)))
    if preview.people:
        lines += people_lines(org, preview.people, t)
    for campaign in preview.campaigns:  # the optional campaigns sheet
        dates = f"{campaign.start:%d/%m}–{campaign.end:%d/%m/%Y}"
        name, stores = user_text(campaign.name), user_text(", ".join(campaign.stores))
        lines.append(t("campaign.plan.line", name=name, dates=dates, stores=stores))
    if preview.has_changes:
        if buttons:
            lines += ["", t("plan.import.confirm_hint")]
    else:
        lines += ["", t("plan.import.nothing_to_change")]
    return "\n".join(lines)


def people_lines(org: OrgConfig, people: Sequence[PersonChange], t: Translator) -> list[str]:
    """The people sheet's targets: counts, then each new or changed one."""
    kinds = [p.kind for p in people]
    lines = [t("plan.import.people_title", **{k: kinds.count(k) for k in KINDS})]
    shown = [p for p in people if p.kind != "unchanged"]
    for change in shown[:MAX_LINES_SHOWN]:
        common = {
            "member": user_text(change.member),
            "metric": user_text(_metric_label(org, change.metric, t)),
            "month": YearMonth(*map(int, change.month.split("-"))).label(),
            "new": _value(org, change.metric, change.new_target, t),
        }
        if change.kind == "new":
            lines.append(t("plan.import.line_person_new", **common))
        else:
            old = _value(org, change.metric, change.old_target or 0.0, t)
            lines.append(t("plan.import.line_person_changed", old=old, **common))
    if len(shown) > MAX_LINES_SHOWN:
        lines.append(t("plan.import.more_lines", count=len(shown) - MAX_LINES_SHOWN))
    return lines


def _one_per_month(changes: Sequence[PlanChange]) -> list[PlanChange]:
    first: dict[str, PlanChange] = {}
    for change in changes:
        first.setdefault(change.month, change)
    return [first[month] for month in sorted(first)]


def store_plan_text(org: OrgConfig, plan: StorePlan, t: Translator, timezone: ZoneInfo) -> str:
    month = plan.month
    lines = [
        t(
            "plan.view.title",
            store=user_text(f"{plan.store.code} · {plan.store.name}"),
            month=month.label(),
        )
    ]
    if not plan.planned:
        lines.append(t("plan.view.none", month=month.label()))
        return "\n".join(lines)
    for target in plan.targets:
        label = user_text(target.metric.label.get(t.locale))
        if target.target is None:
            lines.append(t("plan.view.missing", metric=label))
            continue
        per_day = daily_plan(target.target, month.year, month.month, target.weights)
        normal = next((v for day, v in per_day.items() if str(day.day) not in target.weights), 0.0)
        lines.append(
            t(
                "plan.view.line",
                metric=label,
                target=_value(org, target.metric.key, target.target, t),
                daily=format_compact(normal, t.locale),
            )
        )
    weights = plan.weights
    if weights:
        lines.append(t("plan.view.weights", weights=weights_text(weights, month, t)))
    else:
        lines.append(t("plan.view.no_weights"))
    if plan.changed_at is not None:
        at = plan.changed_at.astimezone(timezone).strftime("%d/%m/%Y %H:%M")
        lines.append(
            t("plan.view.changed", at=at, who=user_text(plan.changed_by or t("plan.view.cli")))
        )
    return "\n".join(lines)
