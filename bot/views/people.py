"""Personal targets in /me and /dept: one line per targeted metric, the same numbers as a
store's (actual against the month target, pacing, forecast)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from bot.charts.data import PeopleChart
from bot.domain.kpi import SubjectKpi
from bot.domain.kpi_results import MeKpi, PeopleKpi
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.views.kpi import label, percent, show
from bot.views.safe import user_text


def targeted_metrics(kpi: SubjectKpi) -> list[str]:
    """Metrics with a target in the month of the view, in the order they were evaluated."""
    return [key for key, metric in kpi.metrics.items() if metric.month_target is not None]


def me_target_lines(view: MeKpi, org: OrgConfig, t: Translator) -> list[str]:
    lines = [t("kpi.me.id", id=view.member.telegram_id)]
    kpi = view.targets
    if kpi is None or not targeted_metrics(kpi):
        return lines
    lines.append(t("kpi.me.targets_title"))
    for key in targeted_metrics(kpi):
        metric = kpi.metrics[key]
        lines.append(
            t(
                "kpi.me.target_line",
                metric=user_text(label(org, key, t.locale)),
                actual=show(org, key, metric.actual or 0.0, t.locale),
                target=show(org, key, metric.month_target, t.locale),
                attainment=percent(_of_month(metric.actual, metric.month_target)),
                pacing=percent(metric.pacing),
                forecast=show(org, key, metric.forecast, t.locale),
            )
        )
    return lines


def people_target_lines(view: PeopleKpi, org: OrgConfig, t: Translator) -> list[str]:
    """Each person with a target, against it (people without one keep the plain line)."""
    names = {p.member.id: p.member.full_name for p in view.people}
    return target_lines(view.targets, names, org, t)


def target_lines(
    targets: Mapping[int, SubjectKpi], names: Mapping[int, str], org: OrgConfig, t: Translator
) -> list[str]:
    lines = []
    for member_id, kpi in sorted(targets.items(), key=lambda i: names.get(i[0], "")):
        for key in targeted_metrics(kpi):
            metric = kpi.metrics[key]
            lines.append(
                t(
                    "kpi.people.target_line",
                    name=user_text(names.get(member_id, "")),
                    metric=user_text(label(org, key, t.locale)),
                    actual=show(org, key, metric.actual or 0.0, t.locale),
                    target=show(org, key, metric.month_target, t.locale),
                    attainment=percent(_of_month(metric.actual, metric.month_target)),
                    pacing=percent(metric.pacing),
                )
            )
    return lines


def person_target(view: PeopleKpi, member_id: int, metric: str) -> float | None:
    """The target mark of a person's bar in /dept: the plan of the period shown."""
    kpi = view.targets.get(member_id)
    found = kpi.metrics.get(metric) if kpi is not None else None
    return found.plan if found is not None else None


def chart_with_targets(chart: PeopleChart, view: PeopleKpi) -> PeopleChart:
    """The /dept chart with each person's target mark (its panels list ``view.people`` in
    order, one panel per metric of ``view.metrics``)."""
    if not view.targets:
        return chart
    panels = tuple(
        replace(
            panel,
            people=tuple(
                replace(output, target=person_target(view, person.member.id, key))
                for output, person in zip(panel.people, view.people, strict=True)
            ),
        )
        for panel, key in zip(chart.panels, view.metrics, strict=False)
    )
    return replace(chart, panels=panels)


def _of_month(actual: float | None, target: float | None) -> float | None:
    if actual is None or not target:
        return None
    return actual / target
