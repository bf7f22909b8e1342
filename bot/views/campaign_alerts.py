"""What a campaign alert says: the campaign's title, one line per breached rule (behind its
target's pace, or burning its budget faster than the time passes), the escalation and the
"back on track" messages. The buttons are the store alerts' (``bot.views.alerts``) without
Create task: a campaign has no store owner to give a task to, and the message says so."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.domain.number_format import format_number
from bot.domain.records import AlertStateRow
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.views.alerts import (
    SEVERITY_ICONS,
    TEXT_LIMIT,
    by_severity,
    day_text,
    fit,
    metric_label,
    recovery_line,
)
from bot.views.campaigns import percent
from bot.views.safe import user_text


def title(code: str, name: str) -> str:
    return f"<b>{user_text(name)}</b> ({user_text(code)})"


def pace_line(org: OrgConfig, state: AlertStateRow, t: Translator) -> str:
    """One breached rule, e.g. "GMV chậm tiến độ: mới đạt 20% mục tiêu khi đã qua 33% thời
    gian (60% tiến độ, ngưỡng 80%)"."""
    detail: dict[str, Any] = dict(state.detail or {})
    numbers: dict[str, float] = dict(detail.get("numbers") or {})
    kind = "budget" if detail.get("kind") == "budget" else "target"
    text = t(
        f"campaign.alert.line_{kind}",
        metric=metric_label(org, detail.get("metric"), t),
        share=percent(numbers.get("share")),
        time=percent(numbers.get("time_share")),
        pace=format_number(numbers.get("percent", 0.0), t.locale, decimals=0),
        threshold=format_number(numbers.get("threshold", 0.0), t.locale),
    )
    return f"{SEVERITY_ICONS.get(state.severity, '•')} {text}"


def _footer(code: str, t: Translator) -> str:
    return "\n" + t("campaign.alert.footer", code=user_text(code))


def alert_text(
    org: OrgConfig,
    code: str,
    name: str,
    states: Sequence[AlertStateRow],
    day: date,
    t: Translator,
) -> str:
    header = t("campaign.alert.header", campaign=title(code, name), day=day_text(day))
    lines = [pace_line(org, state, t) for state in by_severity(states)]
    return fit(header + "\n", lines, _footer(code, t), TEXT_LIMIT, t)


def escalation_text(
    org: OrgConfig, code: str, name: str, state: AlertStateRow, minutes: int, t: Translator
) -> str:
    header = t("campaign.alert.escalated_header", campaign=title(code, name), minutes=minutes)
    return fit(header + "\n", [pace_line(org, state, t)], _footer(code, t), TEXT_LIMIT, t)


def recovery_text(
    org: OrgConfig, code: str, name: str, states: Sequence[AlertStateRow], t: Translator
) -> str:
    header = t("campaign.alert.recovered_header", campaign=title(code, name))
    return fit(header, [recovery_line(org, s, t) for s in states], "", TEXT_LIMIT, t)
