"""Texts and buttons of reminders, escalation and days off (rendering only; no decisions here).

Reminder and escalation messages travel through the outbox, so they are rendered when the job
runs, in the recipient's locale. The callback factories live here because the buttons are built
by jobs and services and read back by the routers in ``handlers.reminders`` and
``handlers.days_off``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, time

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.day_off_dates import EXAMPLES, MAX_AHEAD_DAYS, MAX_DAYS, DayOffError
from bot.domain.discipline import STREAK_CAP, Coverage
from bot.domain.missing_reports import DepartmentCoverage, MissingReport
from bot.domain.records import DayOffRow
from bot.i18n import Translator
from bot.views.safe import user_text

MAX_STORE_BUTTONS = 8
MAX_LISTED_STORES = 20
MAX_ESCALATION_LINES = 40
MAX_STORES_PER_LINE = 4
TEXT_BUDGET = 3600  # characters of listed lines: the whole message stays under Telegram's 4096


def _fitting(lines: Sequence[str], limit: int) -> list[str]:
    """The first of ``lines`` (at most ``limit``) that fit in ``TEXT_BUDGET`` characters."""
    kept: list[str] = []
    used = 0
    for line in lines[:limit]:
        used += len(line) + 1
        if used > TEXT_BUDGET:
            break
        kept.append(line)
    return kept


class ReminderCallback(CallbackData, prefix="rm"):
    """Open the report form for one store (``store`` 0: the member's own output) and date."""

    day: str  # YYYYMMDD
    store: int = 0


class DayOffCallback(CallbackData, prefix="off"):
    action: str  # ok | no
    request: int  # id of the first DayOff row of the request
    stamp: int  # the request's instant (ms), so a re-asked day's old buttons stay stale


def day_text(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def short_day(day: date, t: Translator) -> str:
    return f"{t(f'off.weekday.{day.weekday()}')} {day.strftime('%d/%m')}"


def compact_day(day: date) -> str:
    return day.strftime("%Y%m%d")


# --- reminders --------------------------------------------------------------------------------


def reminder_text(
    missing: MissingReport,
    day: date,
    t: Translator,
    *,
    nudge: bool,
    deadline: time,
    connected: Mapping[str, time] | None = None,
) -> str:
    """``connected``: store code -> the time its automatic data was expected by; those stores
    get "the automatic data ... has not arrived" instead of a line of the typed list."""
    kind = "nudge" if nudge else "reminder"
    name = user_text(missing.member.full_name)
    if missing.per == "person":
        return t(
            f"remind.{kind}.person", name=name, day=day_text(day), deadline=f"{deadline:%H:%M}"
        )
    arrivals = connected or {}
    typed = [store for store in missing.stores if store.code not in arrivals]
    auto = [store for store in missing.stores if store.code in arrivals]
    header = f"remind.{kind}.stores" if typed else f"remind.{kind}.auto"
    lines = [t(header, name=name, day=day_text(day), deadline=f"{deadline:%H:%M}")]
    typed_lines = [f"• <b>{user_text(s.code)}</b> · {user_text(s.name)}" for s in typed]
    auto_lines = [
        t("remind.auto_missing", code=user_text(s.code), expected_by=f"{arrivals[s.code]:%H:%M}")
        for s in auto
    ]
    listed = _fitting(typed_lines + auto_lines, MAX_LISTED_STORES)
    lines += listed[: len(typed_lines)]
    if typed_lines and len(listed) > len(typed_lines):
        lines.append("")  # the connected stores in a paragraph of their own
    lines += listed[len(typed_lines) :]
    hidden = len(missing.stores) - len(listed)
    if hidden > 0:
        lines.append(t("remind.more_stores", count=hidden))
    lines.append("")
    if len(missing.stores) > MAX_STORE_BUTTONS:
        lines.append(t("remind.press_or_report", count=len(missing.stores) - MAX_STORE_BUTTONS))
    else:
        lines.append(t("remind.press"))
    return "\n".join(lines)


def reminder_keyboard(missing: MissingReport, day: date, t: Translator) -> InlineKeyboardMarkup:
    stamp = compact_day(day)
    if missing.per == "person":
        data = ReminderCallback(day=stamp, store=0).pack()
        button = InlineKeyboardButton(text=t("remind.button.person"), callback_data=data)
        return InlineKeyboardMarkup(inline_keyboard=[[button]])
    rows = [
        [
            InlineKeyboardButton(
                text=t("remind.button.store", code=store.code),
                callback_data=ReminderCallback(day=stamp, store=store.id).pack(),
            )
        ]
        for store in missing.stores[:MAX_STORE_BUTTONS]
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


# --- escalation -------------------------------------------------------------------------------


def _streak_text(streak: int, t: Translator) -> str:
    if streak >= STREAK_CAP:
        return t("escalate.streak_capped", days=STREAK_CAP)
    return t("escalate.streak", days=streak)


def _missing_line(missing: MissingReport, t: Translator) -> str:
    name = user_text(missing.member.full_name)
    if missing.per == "person":
        what = t("escalate.own_output")
    else:
        codes = [user_text(store.code) for store in missing.stores[:MAX_STORES_PER_LINE]]
        extra = len(missing.stores) - MAX_STORES_PER_LINE
        what = ", ".join(codes) + (f" +{extra}" if extra > 0 else "")
    blocked = f" {t('escalate.unreachable')}" if not missing.member.reachable else ""
    return f"• <b>{name}</b> — {what} · {_streak_text(missing.streak, t)}{blocked}"


def escalation_text(
    department: str, missing: Sequence[MissingReport], day: date, t: Translator
) -> str:
    ordered = sorted(missing, key=lambda m: (-m.streak, m.member.full_name))
    lines = [
        t("escalate.title", department=user_text(department), day=day_text(day), count=len(missing))
    ]
    listed = _fitting([_missing_line(m, t) for m in ordered], MAX_ESCALATION_LINES)
    lines += listed
    hidden = len(ordered) - len(listed)
    if hidden > 0:
        lines.append(t("escalate.more", count=hidden))
    lines += ["", t("escalate.footer")]
    return "\n".join(lines)


def _coverage_line(name: str, coverage: Coverage, t: Translator) -> str:
    mark = "✅" if coverage.reported >= coverage.expected else "⚠️"
    return t(
        "escalate.coverage.line",
        mark=mark,
        name=user_text(name),
        reported=coverage.reported,
        expected=coverage.expected,
        percent=coverage.percent,
    )


def coverage_text(coverage: Sequence[DepartmentCoverage], day: date, t: Translator) -> str:
    lines = [t("escalate.coverage.title", day=day_text(day))]
    lines += [_coverage_line(c.name(t.locale), c.coverage, t) for c in coverage]
    total = sum((c.coverage for c in coverage), Coverage(0, 0))
    lines.append(_coverage_line(t("escalate.coverage.total"), total, t))
    return "\n".join(lines)


# --- days off ---------------------------------------------------------------------------------


def days_text(days: Sequence[date], t: Translator) -> str:
    return ", ".join(short_day(day, t) for day in days)


def day_off_request_text(name: str, days: Sequence[date], reason: str | None, t: Translator) -> str:
    text = t("off.request.to_manager", name=user_text(name), days=days_text(days, t))
    if reason:
        text += "\n" + t("off.reason", reason=user_text(reason))
    return text


def day_off_keyboard(request_id: int, stamp: int, t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t("off.button.approve"),
                    callback_data=DayOffCallback(
                        action="ok", request=request_id, stamp=stamp
                    ).pack(),
                ),
                InlineKeyboardButton(
                    text=t("off.button.reject"),
                    callback_data=DayOffCallback(
                        action="no", request=request_id, stamp=stamp
                    ).pack(),
                ),
            ]
        ]
    )


def status_mark(status: str, t: Translator) -> str:
    return t(f"off.status.{status}")


def upcoming_text(rows: Sequence[DayOffRow], t: Translator) -> str:
    if not rows:
        return t("off.list.empty")
    lines = [t("off.list.title")]
    for row in rows:
        reason = f" — {user_text(row.reason)}" if row.reason else ""
        lines.append(f"• {short_day(row.day, t)}: {status_mark(row.status, t)}{reason}")
    lines += ["", t("off.usage")]
    return "\n".join(lines)


def day_off_error_text(error: DayOffError, t: Translator) -> str:
    """Why the days could not be read, with examples that work."""
    reason = t(f"off.error.{error.message_key}", max_days=MAX_DAYS, max_ahead=MAX_AHEAD_DAYS)
    return t("off.error.example", reason=reason, examples=" · ".join(f"/off {e}" for e in EXAMPLES))


def days_off_asked_text(
    created: Sequence[date], unchanged: Sequence[date], has_approvers: bool, t: Translator
) -> str:
    """The answer to ``/off <days>``: the days asked now, and those already asked before."""
    lines = []
    if created:
        key = "off.requested" if has_approvers else "off.requested_no_approver"
        lines.append(t(key, days=days_text(created, t)))
    if unchanged:
        lines.append(t("off.already_asked", days=days_text(unchanged, t)))
    return "\n".join(lines)


def day_off_decided_text(
    status: str, member_name: str, days: Sequence[date], decided_by: str, t: Translator
) -> str:
    """The request message once decided, for the approver who pressed."""
    return t(
        f"off.decide.done.{status}",
        name=user_text(member_name),
        days=days_text(days, t),
        manager=user_text(decided_by),
    )


def already_decided_text(status: str, decided_by: str, t: Translator) -> str:
    return t("off.decide.already", status=status_mark(status, t), manager=decided_by)
