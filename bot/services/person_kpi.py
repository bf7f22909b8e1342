"""Each person's attainment against their personal targets, with the stores' formula.

A person's numbers are their own output (person forms) or the sum of the stores they own
(store forms); their targets carry the month's day weights, so pacing, forecast and the
required daily pace are ``bot.domain.kpi.evaluate``'s, exactly as for a store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.kpi import (
    SubjectFacts,
    SubjectKpi,
    comparison_window,
    evaluate,
)
from bot.domain.kpi_results import MeKpi, PeopleKpi
from bot.domain.periods import Period, month_key, months_touched
from bot.domain.plan_sums import MetricPlan, Plans
from bot.domain.records import MemberRow
from bot.org.schema import OrgConfig
from bot.services.kpi import kpi_question
from bot.services.reporting import form_of
from storage.models import Member
from storage.repositories import kpi as kpi_repo
from storage.repositories import members as members_repo
from storage.repositories import person_targets as repo


async def subject_keys(session: AsyncSession, org: OrgConfig, member: Member) -> list[str]:
    """Where a person's numbers are: their own output, or the stores they own."""
    form = form_of(org, member)
    if form is not None and form.per == "person":
        return [kpi_repo.member_key(member.id)]
    stores = await members_repo.member_stores(session, member.id)
    return [kpi_repo.store_key(s.id) for s in stores if s.active]


def _sum(totals: kpi_repo.Totals, keys: Sequence[str]) -> dict[str, float]:
    summed: dict[str, float] = {}
    for key in keys:
        for metric, value in totals.get(key, {}).items():
            summed[metric] = summed.get(metric, 0.0) + value
    return summed


async def personal_kpis(
    session: AsyncSession,
    org: OrgConfig,
    members: Sequence[Member],
    period: Period,
    today: date,
    *,
    now: datetime,
) -> dict[int, SubjectKpi]:
    """member id -> their KPI for the metrics they have a target for (only members with one)."""
    ask = kpi_question(org, period, today, now)
    month = ask.forecast_month
    span_start, span_end = min(period.start, month.start), max(period.end, month.end)
    months = [month_key(y, m) for y, m in months_touched(span_start, span_end)]
    targets = await repo.target_rows(session, [m.id for m in members], months)
    if not targets:
        return {}
    people = [m for m in members if m.id in targets]
    keys = {m.id: await subject_keys(session, org, m) for m in people}
    every_key = sorted({k for ks in keys.values() for k in ks})
    elapsed = ask.elapsed
    totals: kpi_repo.Totals = {}
    if elapsed and every_key:
        totals = await kpi_repo.metric_totals(session, every_key, period.start, elapsed[-1])
    window = comparison_window(period, today)
    previous: kpi_repo.Totals = {}
    if window and every_key:
        previous = await kpi_repo.metric_totals(session, every_key, window.start, window.end)
    month_totals = totals
    if (month.start, month.end) != (period.start, period.end) and every_key:
        month_end = min(month.end, today)
        month_totals = await kpi_repo.metric_totals(session, every_key, month.start, month_end)
    reported = await kpi_repo.reported_days(session, every_key, span_start, span_end)
    facts = [
        person_facts(
            member,
            keys[member.id],
            totals,
            previous,
            month_totals,
            reported,
            targets[member.id],
        )
        for member in people
    ]
    report = evaluate(facts, ask)
    by_key = {s.key: s for s in report.subjects}
    return {m.id: by_key[f"person:{m.id}"] for m in people}


def person_facts(
    member: MemberRow,
    keys: Sequence[str],
    totals: kpi_repo.Totals,
    previous: kpi_repo.Totals,
    month_totals: kpi_repo.Totals,
    reported: Mapping[str, set[date]],
    targets: Mapping[str, Mapping[str, tuple[float, dict[str, float]]]],
) -> SubjectFacts:
    days: set[date] = set()
    for key in keys:
        days |= set(reported.get(key, ()))
    plans: Plans = {
        month: {metric: MetricPlan(target, weights) for metric, (target, weights) in rows.items()}
        for month, rows in targets.items()
    }
    return SubjectFacts(
        key=f"person:{member.id}",
        label=member.full_name,
        totals=_sum(totals, keys),
        previous_totals=_sum(previous, keys),
        month_totals=_sum(month_totals, keys),
        reported_days=frozenset(days),
        plans=plans,
    )


async def me_with_targets(
    session: AsyncSession, org: OrgConfig, view: MeKpi, member: Member, period: Period,
    today: date, *, now: datetime,
) -> MeKpi:  # fmt: skip
    found = await personal_kpis(session, org, [member], period, today, now=now)
    return replace(view, targets=found.get(member.id))


async def people_with_targets(
    session: AsyncSession, org: OrgConfig, view: PeopleKpi, people: Sequence[Member],
    period: Period, today: date, *, now: datetime,
) -> PeopleKpi:  # fmt: skip
    found = await personal_kpis(session, org, people, period, today, now=now)
    return replace(view, targets=found)
