"""/kpi dept <code> and the /dept section of a service department: caption and chart data;
the on-time alert to its managers."""

from __future__ import annotations

import html

from bot.charts.data import Status, Tile
from bot.charts.service_data import Bar, ServiceChart
from bot.domain.number_format import format_number
from bot.domain.records import DepartmentRow
from bot.domain.service_kpi import AGE_BUCKETS, ServiceKpi
from bot.i18n import Translator
from bot.views.kpi import department_label, fit, percent
from bot.views.safe import user_text

ON_TIME_GOOD = 0.9


def duration(hours: float | None, t: Translator) -> str:
    """``5,5 giờ`` under two days, ``3,2 ngày`` from there; ``—`` when nothing to measure."""
    if hours is None:
        return "—"
    if hours < 48:
        return t("service.hours", value=format_number(hours, t.locale, decimals=1))
    return t("service.days", value=format_number(hours / 24, t.locale, decimals=1))


def _ratio(done: int, total: int, t: Translator) -> str:
    rate = done / total if total else None
    return t("service.ratio", rate=percent(rate), done=done, total=total)


def _on_time_status(kpi: ServiceKpi, threshold: float) -> Status:
    rate = kpi.on_time_rate
    if rate is None:
        return "none"
    if rate >= max(threshold, ON_TIME_GOOD):
        return "good"
    return "warn" if rate >= threshold else "bad"


def backlog_text(kpi: ServiceKpi, t: Translator) -> str:
    # The age labels ("<1 ngày", ">7 ngày") are plain text: escaped for the HTML caption.
    parts = [f"{html.escape(t(f'service.age.{key}'))} {count}" for key, count in kpi.backlog]
    return t("service.backlog", total=kpi.open_total, parts=" · ".join(parts))


def service_caption(
    kpi: ServiceKpi,
    department: DepartmentRow,
    names: dict[int, str],
    t: Translator,
    *,
    days: int,
) -> str:
    name = user_text(department_label(department, t), 80)
    this_week = kpi.weeks[-1] if kpi.weeks else None
    lines = [
        t("service.title", name=name, days=days),
        t("service.on_time", value=_ratio(kpi.on_time, kpi.due, t)),
        t(
            "service.cycle",
            p50=duration(kpi.cycle_p50_hours, t),
            p90=duration(kpi.cycle_p90_hours, t),
            count=kpi.accepted,
        ),
        t(
            "service.approval",
            p50=duration(kpi.approval_p50_hours, t),
            p90=duration(kpi.approval_p90_hours, t),
        ),
        t("service.reopen", value=_ratio(kpi.reopened, kpi.delivered, t)),
        backlog_text(kpi, t),
    ]
    if this_week is not None:
        lines.append(
            t("service.this_week", received=this_week.received, delivered=this_week.delivered)
        )
    people = [
        t(
            "service.person",
            name=user_text(names.get(a.assignee_id, f"#{a.assignee_id}"), 40),
            delivered=a.delivered,
            on_time=percent(a.on_time_rate),
            cycle=duration(a.cycle_p50_hours, t),
            open=a.open,
        )
        for a in kpi.assignees[:8]
    ]
    if people:
        lines.append(t("service.people"))
        lines.extend(people)
    return fit(lines)


def service_chart(
    kpi: ServiceKpi,
    department: DepartmentRow,
    names: dict[int, str],
    t: Translator,
    *,
    days: int,
    threshold: float,
) -> ServiceChart:
    tiles = (
        Tile(
            t("service.tile.on_time"),
            percent(kpi.on_time_rate),
            t("service.tile.of", done=kpi.on_time, total=kpi.due),
            _on_time_status(kpi, threshold),
        ),
        Tile(
            t("service.tile.cycle"),
            duration(kpi.cycle_p50_hours, t),
            t("service.tile.p90", value=duration(kpi.cycle_p90_hours, t)),
        ),
        Tile(
            t("service.tile.reopen"),
            percent(kpi.reopen_rate),
            t("service.tile.of", done=kpi.reopened, total=kpi.delivered),
        ),
        Tile(t("service.tile.backlog"), str(kpi.open_total), ""),
    )
    return ServiceChart(
        title=department_label(department, t),
        subtitle=t("service.subtitle", days=days),
        tiles=tiles,
        weeks=tuple(w.week_start.strftime("%d/%m") for w in kpi.weeks),
        received=tuple(w.received for w in kpi.weeks),
        delivered=tuple(w.delivered for w in kpi.weeks),
        backlog=tuple(
            Bar(t(f"service.age.{key}"), float(count))
            for (key, _, _), (_, count) in zip(AGE_BUCKETS, kpi.backlog, strict=True)
        ),
        assignees=tuple(
            Bar(
                names.get(a.assignee_id, f"#{a.assignee_id}"),
                float(a.delivered),
                t("service.chart.person_note", on_time=percent(a.on_time_rate), open=a.open),
            )
            for a in kpi.assignees
        ),
        received_label=t("service.chart.received"),
        delivered_label=t("service.chart.delivered"),
        weeks_title=t("service.chart.weeks"),
        backlog_title=t("service.chart.backlog"),
        assignees_title=t("service.chart.assignees", days=days),
        locale=t.locale,
    )


def dept_section(kpi: ServiceKpi, department: DepartmentRow, t: Translator, *, days: int) -> str:
    """Two lines under the /dept caption of a department that receives requests."""
    return fit(
        [
            t(
                "service.dept_section",
                days=days,
                on_time=_ratio(kpi.on_time, kpi.due, t),
                cycle=duration(kpi.cycle_p50_hours, t),
                reopen=percent(kpi.reopen_rate),
                open=kpi.open_total,
            ),
            t("service.dept_more", code=department.code),
        ]
    )


def on_time_alert_text(
    kpi: ServiceKpi, department: DepartmentRow, t: Translator, *, days: int, threshold: float
) -> str:
    name = user_text(department_label(department, t), 80)
    return fit(
        [
            t(
                "service.alert.header",
                name=name,
                rate=percent(kpi.on_time_rate),
                threshold=percent(threshold),
                days=days,
            ),
            t("service.alert.detail", late=kpi.due - kpi.on_time, due=kpi.due),
            backlog_text(kpi, t),
            t("service.alert.footer", code=department.code),
        ]
    )
