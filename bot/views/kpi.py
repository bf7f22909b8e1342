"""What /kpi, /me and /dept show: replies, captions (≤ 1024 characters) and chart inputs.

The buttons under them are in ``bot.views.kpi_buttons``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from bot.charts.data import (
    AttainmentOverview,
    ChartLabels,
    Heatmap,
    MeChart,
    OutputPanel,
    OverviewChart,
    PeopleChart,
    PersonOutput,
    RankedItem,
    StoreChart,
    Tile,
)
from bot.domain.kpi import DayPoint, MetricKpi, Status, attainment_status, cumulative_points
from bot.domain.kpi_ask import last_month_label
from bot.domain.kpi_results import MeKpi, PeopleKpi, StoreSetKpi, subject_ranking_value
from bot.domain.number_format import format_compact, format_number
from bot.domain.periods import Period, month_period
from bot.domain.records import DepartmentRow, StoreRef
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.views.safe import user_text

CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096
MAX_MISSING_LISTED = 5


# --- numbers ---------------------------------------------------------------------------------


def show(org: OrgConfig, key: str, value: float | None, locale: str) -> str:
    """A value the way a phone screen wants it: ``245tr``, ``1.830``, ``2,9%``, ``8,2``."""
    if value is None:
        return "—"
    metric = org.metric(key)
    unit = metric.unit if metric else "number"
    if unit == "money":
        return format_compact(value, locale)
    if unit == "count":
        return format_number(round(value), locale)
    if unit == "percent":
        return format_number(value, locale, decimals=1) + "%"
    return format_number(value, locale, decimals=2 if abs(value) < 100 else 0)


def percent(fraction: float | None) -> str:
    return "—" if fraction is None else f"{fraction * 100:.0f}%"


def signed_percent(fraction: float, locale: str) -> str:
    sign = "+" if fraction >= 0 else "−"
    return sign + format_number(abs(fraction) * 100, locale, decimals=1) + "%"


def label(org: OrgConfig, key: str, locale: str) -> str:
    metric = org.metric(key)
    return metric.label.get(locale) if metric else key


def short_label(org: OrgConfig, key: str, locale: str) -> str:
    """Labels such as "Doanh thu (GMV)" shortened to what fits a tile or a caption line."""
    text = label(org, key, locale)
    return text if len(text) <= 18 or not key.isalpha() else key.upper()


def values_line(
    org: OrgConfig, keys: Sequence[str], values: Mapping[str, float | None], locale: str
) -> str:
    """``Đơn hàng 1.830 · AOV 134k · CR 2,9%``"""
    return " · ".join(
        f"{user_text(short_label(org, k, locale))} {show(org, k, values.get(k), locale)}"
        for k in keys
    )


def period_text(period: Period, t: Translator) -> str:
    if period.kind == "month":
        return t("kpi.period.month", month=f"{period.start.month:02d}", year=period.start.year)
    if period.kind == "week":
        return t("kpi.period.week", start=day(period.start), end=day(period.end))
    return t("kpi.period.range", start=day(period.start), end=day(period.end))


def day(value: date) -> str:
    return value.strftime("%d/%m")


def labels(t: Translator) -> ChartLabels:
    return ChartLabels(
        actual=t("kpi.chart.actual"),
        plan=t("kpi.chart.plan"),
        forecast=t("kpi.chart.forecast"),
        missing=t("kpi.chart.missing"),
        cumulative=t("kpi.chart.cumulative"),
        daily=t("kpi.chart.daily"),
        attainment=t("kpi.chart.attainment"),
        day_vs_plan=t("kpi.chart.day_vs_plan"),
        on_time=t("kpi.chart.on_time"),
        late=t("kpi.chart.late"),
        more=t("kpi.chart.more"),
    )


def fit(lines: Sequence[str]) -> str:
    """Join caption lines; over Telegram's 1024 characters, the reply goes out with the first
    lines as the caption and the rest as messages (``bot.delivery.reply_guard``)."""
    return "\n".join(lines)


# --- stores, brands, everything --------------------------------------------------------------


def _status(kpi: MetricKpi, lower_better: bool) -> Status:
    value = kpi.pacing if kpi.pacing is not None else kpi.attainment
    return attainment_status(value, lower_is_better=lower_better)


def tiles(view: StoreSetKpi, org: OrgConfig, t: Translator) -> tuple[Tile, ...]:
    result = []
    for key in view.metrics_shown:
        kpi = view.report.metrics[key]
        detail = ""
        if kpi.plan is not None:
            detail = t("kpi.tile.plan", plan=show(org, key, kpi.plan, t.locale))
            shown = kpi.pacing if kpi.pacing is not None else kpi.attainment
            detail += f" · {percent(shown)}"
        elif kpi.actual is not None and key in view.report.question.catalog.base:
            # Said, not left blank: with no plan the tile still tells how the period goes.
            detail = t("kpi.tile.no_plan")
            if kpi.change is not None:
                detail += f" · {signed_percent(kpi.change, t.locale)}"
        status = _status(kpi, key in view.lower_better)
        result.append(
            Tile(
                short_label(org, key, t.locale),
                show(org, key, kpi.actual, t.locale),
                detail,
                status,
            )
        )
    return tuple(result)


def store_set_caption(
    view: StoreSetKpi, org: OrgConfig, t: Translator, extra: Sequence[str] = ()
) -> str:
    """The caption of a store set's chart; ``extra`` lines (a channel's ROAS) follow the
    headline numbers."""
    report, question = view.report, view.question
    primary = report.metrics[view.primary]
    name = user_text(
        view.target.name
        if view.target.kind != "store"
        else f"{view.target.code} · {view.target.name}"
    )
    reported = sum(s.reported for s in report.subjects)
    possible = sum(s.elapsed for s in report.subjects)
    actual_key = "kpi.caption.actual" if primary.plan is not None else "kpi.caption.actual_no_plan"
    lines = [
        f"📊 <b>{name}</b>",
        t(
            "kpi.caption.period",
            period=period_text(question.period, t),
            as_of=day(min(question.as_of, question.period.end)),
            reported=reported,
            possible=possible,
        ),
        "",
        t(
            actual_key,
            metric=user_text(label(org, view.primary, t.locale)),
            actual=show(org, view.primary, primary.actual, t.locale),
            plan=show(org, view.primary, primary.plan, t.locale),
            attainment=percent(primary.attainment),
        ),
    ]
    if primary.pacing is not None:
        lines.append(t("kpi.caption.pacing", pacing=percent(primary.pacing)))
    lines.extend(extra)
    if primary.forecast is not None and primary.month_target:
        lines.append(
            t(
                "kpi.caption.forecast",
                forecast=show(org, view.primary, primary.forecast, t.locale),
                attainment=percent(primary.forecast / primary.month_target),
            )
        )
    if primary.required_daily:
        lines.append(
            t(
                "kpi.caption.required",
                required=show(org, view.primary, primary.required_daily, t.locale),
            )
        )
    if primary.change is not None:
        lines.append(t("kpi.caption.change", change=signed_percent(primary.change, t.locale)))
    others = [key for key in view.metrics_shown if key != view.primary]
    if others:
        actuals = {key: report.metrics[key].actual for key in others}
        lines.append(values_line(org, others, actuals, t.locale))
    if view.missing_days:
        listed = ", ".join(day(d) for d in view.missing_days[:MAX_MISSING_LISTED])
        more = len(view.missing_days) - MAX_MISSING_LISTED
        lines.append(t("kpi.caption.missing", days=listed + (f" (+{more})" if more > 0 else "")))
    return fit(lines)


def store_chart(view: StoreSetKpi, org: OrgConfig, t: Translator, title: str) -> StoreChart:
    days = tuple(view.question.period.days)
    primary = view.report.metrics[view.primary]
    points = [_day_point(d, view.daily_actual.get(d), view.daily_plan.get(d)) for d in days]
    cumulative = cumulative_points(
        points,
        view.question.as_of,
        primary.forecast if view.question.period.kind == "month" else None,
    )
    return StoreChart(
        title=title,
        subtitle=_subtitle(view, t),
        metric_label=label(org, view.primary, t.locale),
        days=days,
        daily_actual=tuple(view.daily_actual.get(d) for d in days),
        daily_plan=tuple(view.daily_plan.get(d) for d in days),
        cumulative_actual=tuple(p.actual for p in cumulative),
        cumulative_plan=tuple(p.plan for p in cumulative),
        forecast=tuple(p.forecast for p in cumulative),
        tiles=tiles(view, org, t),
        missing_days=view.missing_days,
        locale=t.locale,
        labels=labels(t),
    )


def _day_point(value_day: date, actual: float | None, plan: float | None) -> DayPoint:
    return DayPoint(value_day, actual, plan, 1 if actual is not None else 0)


def _subtitle(view: StoreSetKpi, t: Translator) -> str:
    coverage = view.report.coverage
    return t(
        "kpi.chart.subtitle",
        period=period_text(view.question.period, t),
        as_of=day(min(view.question.as_of, view.question.period.end)),
        coverage=percent(coverage),
    )


def ranked_stores(view: StoreSetKpi, org: OrgConfig, t: Translator) -> tuple[RankedItem, ...]:
    items = []
    for subject in view.report.subjects:
        kpi = subject.metrics[view.primary]
        note = show(org, view.primary, kpi.actual, t.locale)
        if subject.reported < subject.elapsed:
            note += " · " + t("kpi.chart.days", reported=subject.reported, days=subject.elapsed)
        items.append(RankedItem(subject.label, subject_ranking_value(subject, view.primary), note))
    return tuple(items)


def overview_chart(view: StoreSetKpi, org: OrgConfig, t: Translator, title: str) -> OverviewChart:
    elapsed = tuple(view.question.elapsed)
    overview = AttainmentOverview(
        title=title,
        subtitle=_subtitle(view, t),
        items=ranked_stores(view, org, t),
        locale=t.locale,
        labels=labels(t),
    )
    heatmap = Heatmap(
        rows=tuple(row for row, _ in view.heatmap_rows),
        days=elapsed,
        cells=tuple(cells for _, cells in view.heatmap_rows),
    )
    return OverviewChart(overview, heatmap, tiles(view, org, t)[:3])


# --- people and me ---------------------------------------------------------------------------


def people_chart(view: PeopleKpi, org: OrgConfig, t: Translator, title: str) -> PeopleChart:
    panels = []
    for key in view.metrics[:3]:
        people = tuple(PersonOutput(p.member.full_name, p.totals.get(key)) for p in view.people)
        panels.append(OutputPanel(label(org, key, t.locale), people))
    subtitle = t(
        "kpi.people.subtitle",
        period=period_text(view.question.period, t),
        as_of=day(min(view.question.as_of, view.question.period.end)),
    )
    return PeopleChart(title, subtitle, tuple(panels), t.locale, labels(t))


def people_caption(view: PeopleKpi, org: OrgConfig, t: Translator, title: str) -> str:
    lines = [
        f"👥 <b>{user_text(title)}</b>",
        period_text(view.question.period, t),
        "",
    ]
    for person in sorted(view.people, key=lambda p: p.member.full_name):
        values = values_line(org, view.metrics, person.totals, t.locale)
        lines.append(
            t(
                "kpi.people.line",
                name=user_text(person.member.full_name),
                values=values,
                reported=person.reported,
                days=person.days,
            )
        )
    return fit(lines)


def me_caption(view: MeKpi, org: OrgConfig, t: Translator, period: Period) -> str:
    verdicts = view.punctuality
    lines = [
        f"🙋 <b>{user_text(view.member.full_name)}</b>",
        period_text(period, t),
        t(
            "kpi.me.punctuality",
            on_time=verdicts.count("on_time"),
            late=verdicts.count("late"),
            missing=verdicts.count("missing"),
            rate=percent(verdicts.on_time_rate),
        ),
    ]
    if view.stores is not None:
        lines += store_set_caption(view.stores, org, t).split("\n")[2:]
    elif view.own is not None:
        lines.append(values_line(org, view.metrics, view.own.totals, t.locale))
    return fit(lines)


def me_chart(view: MeKpi, org: OrgConfig, t: Translator, period: Period) -> MeChart:
    stores: tuple[RankedItem, ...] = ()
    chart_tiles: tuple[Tile, ...] = ()
    if view.stores is not None:
        stores = ranked_stores(view.stores, org, t)
        chart_tiles = tiles(view.stores, org, t)[:3]
    elif view.own is not None:
        chart_tiles = tuple(
            Tile(short_label(org, k, t.locale), show(org, k, view.own.totals.get(k), t.locale))
            for k in view.metrics[:3]
        )
    subtitle = period_text(period, t)
    return MeChart(
        title=t("kpi.me.title", name=view.member.full_name),
        subtitle=subtitle,
        stores=stores,
        punctuality=view.punctuality.days,
        tiles=chart_tiles,
        locale=t.locale,
        labels=labels(t),
    )


# --- replies without a chart -----------------------------------------------------------------


def without_chart_text(caption: str, t: Translator) -> str:
    """The caption as a message when the chart could not be drawn, saying so if it fits."""
    text = caption + "\n\n" + t("kpi.chart_unavailable")
    return text if len(text) <= TEXT_LIMIT else caption


def quote(text: str) -> str:
    """What the member typed, echoed back short and HTML-safe."""
    return user_text(text, 60)


def example_code(stores: Sequence[StoreRef]) -> str:
    """A store code the member may try (one they see, else a typical one)."""
    return stores[0].code if stores else "HS-SHOPEE"


def department_label(department: DepartmentRow, t: Translator) -> str:
    return department.name_en if t.locale == "en" else department.name_vi


def bad_period_text(text: str, example: str, today: date, t: Translator) -> str:
    return t("kpi.bad_period", text=quote(text), example=example, month=last_month_label(today))


def future_text(period: Period, example: str, today: date, t: Translator) -> str:
    return t(
        "kpi.future",
        period=period_text(period, t),
        example=example,
        month=month_period(today.year, today.month).label,
    )


def empty_text(name: str, period: Period, example: str, today: date, t: Translator) -> str:
    return t(
        "kpi.empty",
        name=quote(name),
        period=period_text(period, t),
        example=example,
        month=last_month_label(today),
    )
