"""What an alert says: one line per breach, the store header, buttons, Telegram's size limits.

Texts are HTML; every name coming from the org file or a member is escaped. A photo caption is
at most 1024 characters and a message 4096: longer content is summarised ("… and N more"),
never dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.alert_outcome import Outcome
from bot.domain.alerts import AlertStatus
from bot.domain.number_format import format_number, format_value
from bot.domain.records import AlertStateRow
from bot.domain.text_split import split_message, visible_length
from bot.i18n import Translator
from bot.org.connectors import connected_source
from bot.org.schema import OrgConfig
from bot.org.sections import AlertRule
from bot.views.safe import user_text

CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096
SEVERITY_ICONS = {"critical": "🔴", "warning": "🟠", "info": "🔵"}
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}

State = TypeVar("State", bound=AlertStateRow)


class AlertCallback(CallbackData, prefix="al"):
    """``scope`` "b": the alerts of a message (a store's batch, led by alert ``id``);
    "a": the single alert ``id`` (an escalation)."""

    action: str  # ack | snooze | task
    scope: str
    id: int


def by_severity(states: Sequence[State]) -> list[State]:
    return sorted(states, key=lambda s: (SEVERITY_ORDER.get(s.severity, 9), s.rule_id))


def metric_label(org: OrgConfig, key: str | None, t: Translator) -> str:
    metric = org.metric(key) if key else None
    return user_text(metric.label.get(t.locale)) if metric else user_text(key or "")


def metric_value(org: OrgConfig, key: str | None, value: float, t: Translator) -> str:
    metric = org.metric(key) if key else None
    if metric is None or metric.unit == "number":
        return format_number(value, t.locale)
    unit_label = getattr(metric, "unit_label", None)
    return format_value(
        value,
        metric.unit,
        t.locale,
        integer=metric.unit == "money" or getattr(metric, "integer", False),
        unit_label=unit_label.get(t.locale) if unit_label else None,
    )


def day_text(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _band(org: OrgConfig, key: str | None, numbers: Mapping[str, float], t: Translator) -> str:
    low, high = numbers.get("low"), numbers.get("high")
    if low is not None and high is not None:
        return t(
            "alert.band.between",
            low=metric_value(org, key, low, t),
            high=metric_value(org, key, high, t),
        )
    if low is not None:
        return t("alert.band.at_least", low=metric_value(org, key, low, t))
    return t("alert.band.at_most", high=metric_value(org, key, high or 0, t))


def breach_line(
    org: OrgConfig, state: AlertStateRow, t: Translator, store_code: str | None = None
) -> str:
    """One breach with the numbers behind it, e.g. "ROAS 2,1 — dưới mức 3"; missing data of a
    connected store names where the data should have come from."""
    detail: dict[str, Any] = dict(state.detail or {})
    numbers: dict[str, float] = dict(detail.get("numbers") or {})
    key = detail.get("metric")
    rule_type = detail.get("type")
    label = metric_label(org, key, t)

    def value(name: str) -> str:
        return metric_value(org, key, numbers.get(name, 0.0), t)

    if rule_type == "pacing":
        text = t(
            "alert.line.pacing",
            metric=label,
            actual=value("actual"),
            plan=value("plan"),
            percent=format_number(numbers.get("percent", 0.0), t.locale, decimals=0),
            threshold=format_number(numbers.get("threshold", 0.0), t.locale),
        )
    elif rule_type == "daily":
        text = t(
            f"alert.line.daily_{detail.get('direction', 'below')}",
            metric=label,
            value=value("value"),
            threshold=value("threshold"),
        )
    elif rule_type == "ratio_band":
        text = t(
            "alert.line.ratio_band",
            metric=label,
            value=value("value"),
            band=_band(org, key, numbers, t),
        )
    elif rule_type == "anomaly":
        text = t(
            "alert.line.anomaly",
            metric=label,
            value=value("value"),
            drop=format_number(numbers.get("drop", 0.0), t.locale, decimals=0),
            median=value("median"),
            days=int(detail.get("window_days", 7)),
        )
    else:
        text = t(
            "alert.line.missing",
            metric=label or t("alert.any_report"),
            days=int(numbers.get("days", 0)),
            since=day_text(date.fromisoformat(state.period))
            if len(state.period) == 10
            else state.period,
        )
        connected = connected_source(org, store_code) if store_code else None
        if connected is not None:
            source = t(f"connector.{connected.source}")
            text += " " + t("alert.line.missing_source", source=source)
    icon = SEVERITY_ICONS.get(state.severity, "•")
    return f"{icon} {text}"


def recovery_line(org: OrgConfig, state: AlertStateRow, t: Translator) -> str:
    detail: dict[str, Any] = dict(state.detail or {})
    return t("alert.recovered_line", metric=metric_label(org, detail.get("metric"), t) or "—")


def store_title(code: str, name: str) -> str:
    return f"<b>{user_text(code)}</b> · {user_text(name)}"


def fit(header: str, lines: Sequence[str], footer: str, limit: int, t: Translator) -> str:
    """``header``, as many ``lines`` as fit, "… N more", ``footer``: at most ``limit`` chars."""
    shown = list(lines)
    while True:
        more = len(lines) - len(shown)
        body = [*shown, t("alert.more", count=more)] if more else shown
        text = "\n".join([header, *body, footer] if footer else [header, *body])
        if len(text) <= limit or not shown:
            return text[:limit]
        shown.pop()


def alert_text(
    org: OrgConfig,
    states: Sequence[AlertStateRow],
    store_code: str,
    store_name: str,
    day: date,
    t: Translator,
    limit: int,
) -> str:
    header = t("alert.header", store=store_title(store_code, store_name), day=day_text(day))
    lines = [breach_line(org, state, t, store_code) for state in by_severity(states)]
    return fit(header + "\n", lines, "", limit, t)


def escalation_text(
    org: OrgConfig,
    state: AlertStateRow,
    store_code: str,
    store_name: str,
    minutes: int,
    t: Translator,
) -> str:
    header = t(
        "alert.escalated_header",
        store=store_title(store_code, store_name),
        minutes=minutes,
    )
    return fit(header + "\n", [breach_line(org, state, t, store_code)], "", TEXT_LIMIT, t)


def recovery_text(
    org: OrgConfig, states: Sequence[AlertStateRow], store_code: str, store_name: str, t: Translator
) -> str:
    header = t("alert.recovered_header", store=store_title(store_code, store_name))
    return fit(header, [recovery_line(org, s, t) for s in states], "", TEXT_LIMIT, t)


def keyboard(scope: str, lead_id: int, t: Translator, *, with_task: bool) -> InlineKeyboardMarkup:
    def button(text: str, action: str) -> InlineKeyboardButton:
        data = AlertCallback(action=action, scope=scope, id=lead_id).pack()
        return InlineKeyboardButton(text=text, callback_data=data)

    rows = [[button(t("alert.button.ack"), "ack"), button(t("alert.button.snooze"), "snooze")]]
    if with_task:
        rows.append([button(t("alert.button.task"), "task")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def rule_summary(rule: AlertRule) -> str:
    """A short id of the rule for logs."""
    return f"{rule.id}({rule.type})"


# --- after a button press ----------------------------------------------------------------------


def _when(org: OrgConfig, at: datetime | None) -> str:
    return at.astimezone(org.tz).strftime("%H:%M %d/%m") if at else "—"


def status_line(action: str, outcome: Outcome, org: OrgConfig, t: Translator) -> str | None:
    """The line appended to the alert for everyone in the chat: who did what (None: nothing)."""
    name = user_text(outcome.by or "—")
    if outcome.status == "acknowledged" or (outcome.status == "done" and action == "ack"):
        return t("alert.status.acknowledged", name=name, at=_when(org, outcome.at))
    if outcome.status == "snoozed" or (outcome.status == "done" and action == "snooze"):
        return t("alert.status.snoozed", name=name, until=_when(org, outcome.at))
    if outcome.status == "done" and action == "task":
        return t("alert.status.task", task=outcome.task_id, assignee=name)
    return None


def press_answer(action: str, outcome: Outcome, org: OrgConfig, t: Translator) -> str:
    """The presser's own short answer (a toast, or an alert box when nothing was done)."""
    name, at = outcome.by or "—", _when(org, outcome.at)
    if outcome.status == "done":
        if action == "ack":
            return t("alert.answer.acknowledged")
        if action == "snooze":
            return t("alert.answer.snoozed", until=at)
        return t("alert.answer.task", task=outcome.task_id, assignee=name)
    if outcome.status == "acknowledged":
        return t("alert.answer.already_acknowledged", name=name, at=at)
    if outcome.status == "snoozed":
        return t("alert.answer.already_snoozed", name=name, until=at)
    if outcome.status == "has_task":
        return t("alert.answer.already_task", task=outcome.task_id)
    if outcome.status == "no_owner":
        return t("alert.answer.no_owner")
    if outcome.status == "resolved":
        return t("alert.answer.resolved")
    return t("alert.answer.not_found")


def remaining_keyboard(
    alerts: Sequence[AlertStateRow], data: AlertCallback, t: Translator, *, with_task: bool = True
) -> InlineKeyboardMarkup | None:
    """The buttons that still make sense for these alerts (Create task only ``with_task``)."""
    states = {s.state for s in alerts}
    row = []

    def button(key: str, action: str) -> InlineKeyboardButton:
        packed = AlertCallback(action=action, scope=data.scope, id=data.id).pack()
        return InlineKeyboardButton(text=t(key), callback_data=packed)

    if AlertStatus.OPEN in states or AlertStatus.SNOOZED in states:
        row.append(button("alert.button.ack", "ack"))
    if AlertStatus.OPEN in states:
        row.append(button("alert.button.snooze", "snooze"))
    rows = [row] if row else []
    if with_task and not any(s.task_id for s in alerts) and states != {AlertStatus.RESOLVED.value}:
        rows.append([button("alert.button.task", "task")])
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def with_status_line(original: str, line: str, *, photo: bool) -> str:
    """The alert's text (or caption) with ``line`` below, cut to fit Telegram's limit."""
    limit = CAPTION_LIMIT if photo else TEXT_LIMIT
    room = max(limit - visible_length(line) - 2, 1)
    return f"{split_message(original, room)[0]}\n\n{line}"  # whole lines, tags balanced
