"""Texts and keyboards of the report form (rendering only; no decisions here)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.numbers import format_value
from bot.domain.report_draft import Draft
from bot.domain.report_status import DepartmentStatus, StatusLine
from bot.domain.report_subject import Subject
from bot.domain.revisions import Change, RevisionEntry
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.views.revision_sources import source_text
from bot.views.safe import user_text


class ReportCallback(CallbackData, prefix="rp"):
    rid: str  # the form run the button belongs to
    action: str  # pick | back | skip | cancel | keep | retype | confirm | edit | field
    value: str = ""


def day_text(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def label(org: OrgConfig, key: str, t: Translator) -> str:
    metric = org.metric(key)
    return user_text(metric.label.get(t.locale)) if metric else key


def fmt(org: OrgConfig, key: str, value: float | None, t: Translator) -> str:
    metric = org.metric(key)
    if value is None:
        return "—"
    if metric is None:
        return f"{value:g}"
    unit_label = getattr(metric, "unit_label", None)
    return format_value(
        value,
        metric.unit,
        t.locale,
        # Đồng have no subunit worth showing; averages such as AOV are rounded.
        integer=getattr(metric, "integer", False) or metric.unit == "money",
        unit_label=unit_label.get(t.locale) if unit_label else None,
    )


def button_key(subject: Subject) -> str:
    """Subject keys hold ':', which callback data reserves as its separator."""
    return subject.key.replace(":", ".")


def _button(text: str, rid: str, action: str, value: str = "") -> InlineKeyboardButton:
    data = ReportCallback(rid=rid, action=action, value=value).pack()
    return InlineKeyboardButton(text=text, callback_data=data)


def pick_keyboard(
    rid: str,
    subjects: Sequence[Subject],
    reported: set[str],
    other_days: Sequence[date],
    t: Translator,
) -> InlineKeyboardMarkup:
    rows = [
        [_button(("✅ " if s.key in reported else "▫️ ") + s.label, rid, "pick", button_key(s))]
        for s in subjects
    ]
    if other_days:
        rows.append(
            [_button(f"📅 {d.strftime('%d/%m')}", rid, "day", d.isoformat()) for d in other_days]
        )
    rows.append([_button(t("button.cancel"), rid, "cancel")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def question_keyboard(draft: Draft, optional: bool, t: Translator) -> InlineKeyboardMarkup:
    row = [_button(t("button.back"), draft.rid, "back")]
    if optional:
        row.append(_button(t("button.skip"), draft.rid, "skip"))
    row.append(_button(t("button.cancel"), draft.rid, "cancel"))
    return InlineKeyboardMarkup(inline_keyboard=[row])


def header(draft: Draft, t: Translator) -> str:
    return t("report.header", subject=user_text(draft.subject.label), day=day_text(draft.day))


def question_text(
    draft: Draft,
    org: OrgConfig,
    key: str,
    t: Translator,
    *,
    previous: tuple[date, float] | None,
    target: float | None,
    examples: tuple[str, str],
) -> str:
    number, total = draft.position(key)
    required = key in draft.required
    lines = [
        header(draft, t),
        t(
            "report.question",
            number=number,
            total=total,
            field=label(org, key, t),
            required=t("report.required") if required else t("report.optional"),
        ),
    ]
    hints = []
    if key in draft.answers:
        hints.append(t("report.hint.current", value=fmt(org, key, draft.answers[key], t)))
    if previous is not None:
        hints.append(
            t(
                "report.hint.previous",
                day=previous[0].strftime("%d/%m"),
                value=fmt(org, key, previous[1], t),
            )
        )
    if target is not None:
        hints.append(t("report.hint.target", value=fmt(org, key, target, t)))
    if hints:
        lines.append(" · ".join(hints))
    lines.append(t("report.hint.examples", first=examples[0], second=examples[1]))
    if number == 1:
        lines.append(t("report.hint.paste"))
    return "\n".join(lines)


def outlier_keyboard(draft: Draft, t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("button.keep_value"), draft.rid, "keep")],
            [_button(t("button.retype"), draft.rid, "retype")],
        ]
    )


def summary_keyboard(draft: Draft, can_confirm: bool, t: Translator) -> InlineKeyboardMarkup:
    row = [_button(t("button.confirm"), draft.rid, "confirm")] if can_confirm else []
    row += [
        _button(t("button.edit"), draft.rid, "edit"),
        _button(t("button.cancel"), draft.rid, "cancel"),
    ]
    return InlineKeyboardMarkup(inline_keyboard=[row])


def edit_keyboard(draft: Draft, org: OrgConfig, t: Translator) -> InlineKeyboardMarkup:
    rows = [[_button(label(org, key, t), draft.rid, "field", key)] for key in draft.fields]
    rows.append([_button(t("button.back"), draft.rid, "summary")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def summary_text(
    draft: Draft,
    org: OrgConfig,
    t: Translator,
    *,
    derived: Mapping[str, float | None],
    targets: Mapping[str, float],
    problems: Sequence[str],
    changes: Sequence[Change],
) -> str:
    lines = [header(draft, t), t("report.summary.title")]
    changed = {c.metric: c for c in changes}
    for key in draft.fields:
        value = draft.answers.get(key)
        line = f"• {label(org, key, t)}: <b>{fmt(org, key, value, t)}</b>"
        if draft.is_correction() and key in changed:
            line += " " + t("report.summary.was", value=fmt(org, key, changed[key].old, t))
        lines.append(line)
    shown = [(k, v) for k, v in derived.items() if v is not None]
    if shown:
        lines.append(t("report.summary.derived"))
        lines.append(" · ".join(f"{label(org, k, t)} {fmt(org, k, v, t)}" for k, v in shown))
    if targets:
        lines.append(t("report.summary.targets"))
        for key, target in targets.items():
            actual = draft.answers.get(key)
            if actual is None or target <= 0:
                continue
            lines.append(
                f"• {label(org, key, t)}: {fmt(org, key, actual, t)} / {fmt(org, key, target, t)}"
                f" ({actual / target * 100:.0f}%)"
            )
    if draft.is_correction():
        lines.append(
            t("report.summary.no_changes")
            if not changes
            else t("report.summary.changes", count=len(changes))
        )
    lines += [f"⚠️ {p}" for p in problems]
    return "\n".join(lines)


def receipt_text(draft: Draft, revision: int, changes: Sequence[Change], t: Translator) -> str:
    key = "report.saved" if revision == 1 else "report.saved_revision"
    return t(
        key,
        subject=user_text(draft.subject.label),
        day=day_text(draft.day),
        revision=revision,
        count=len(changes),
    )


def history_text(
    subject_label: str,
    entries: Sequence[tuple[date, RevisionEntry]],
    org: OrgConfig,
    t: Translator,
    field_order: Sequence[str] = (),
) -> str:
    if not entries:
        return t("history.empty", subject=user_text(subject_label))
    lines = [t("history.title", subject=user_text(subject_label))]
    # Newest revision first, and within one revision the metrics in form order.
    rank = {key: i for i, key in enumerate(field_order)}
    entries = sorted(
        entries,
        key=lambda e: (-e[0].toordinal(), -e[1].revision, rank.get(e[1].metric, len(rank))),
    )
    last: tuple[date, int] | None = None
    for day, entry in entries[:60]:
        if (day, entry.revision) != last:
            who = user_text(entry.changed_by or "—")
            lines.append(
                t(
                    "history.revision",
                    day=day_text(day),
                    revision=entry.revision,
                    at=entry.changed_at.astimezone(org.tz).strftime("%d/%m %H:%M"),
                    who=who,
                    source=user_text(source_text(entry.source, entry.detail, t)),
                )
            )
            last = (day, entry.revision)
        lines.append(
            f"   {label(org, entry.metric, t)}: {fmt(org, entry.metric, entry.old, t)}"
            f" → {fmt(org, entry.metric, entry.new, t)}"
        )
    return "\n".join(lines)


def _source_note(line: StatusLine, t: Translator) -> str:
    """Where reported numbers came from, or the source a connected store is waiting for."""
    if line.reported and line.source:
        return f" · {t(f'status.source.{line.source}')}"
    if not line.reported and line.connector:
        return f" · {t('status.awaiting', source=t(f'connector.{line.connector}'))}"
    return ""


def status_text(statuses: Sequence[DepartmentStatus], day: date, t: Translator) -> str:
    if not statuses:
        return t("status.nothing", day=day_text(day))
    lines = [t("status.title", day=day_text(day))]
    for dept in statuses:
        name = user_text(dept.name_en if t.locale == "en" else dept.name_vi)
        done = len(dept.lines) - dept.missing
        lines.append(t("status.department", name=name, done=done, total=len(dept.lines)))
        for line in dept.lines:
            owners = f" ({user_text(', '.join(line.owners))})" if line.owners else ""
            lines.append(
                f"   {'✅' if line.reported else '❌'} {user_text(line.label)}{owners}"
                + _source_note(line, t)
            )
    return "\n".join(lines)
