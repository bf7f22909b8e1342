"""KPI use cases: what a member may ask about, and the engine's inputs read in a few queries.

Scope comes from ``bot.services.scope`` only: stores, brands and departments outside it are
treated as not existing (search never sees them, a forged button id finds nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from bot.charts import run as worker
from bot.domain.derived_metrics import compute_derived
from bot.domain.kpi import (
    KpiQuestion,
    KpiReport,
    MetricCatalog,
    SubjectFacts,
    comparison_window,
)
from bot.domain.kpi_results import (
    MeKpi,
    PeopleKpi,
    PersonTotals,
    StoreSetKpi,
    Target,
    evaluate_store_set,
)
from bot.domain.periods import Period, month_key, months_touched
from bot.domain.plan_sums import MetricPlan, Plans, plan_of_day
from bot.domain.punctuality import DueRule, punctuality
from bot.domain.records import StoreRef
from bot.domain.search import Candidate, Match, search
from bot.org.schema import OrgConfig
from bot.org.sections import BaseMetric, DailyRule, RatioBandRule
from bot.roles import Role
from bot.services.reporting import default_business_date, form_of, subjects_for
from bot.services.scope import Scope
from storage.models import Brand, Department, Member, Store
from storage.repositories import catalog as catalog_repo
from storage.repositories import kpi as kpi_repo
from storage.repositories import members as members_repo

HEATMAP_ROWS = 14
WORKER_AT_SUBJECTS = 50  # store sets this large are evaluated in the chart worker process


def as_of(org: OrgConfig, now: datetime) -> date:
    """The latest business date a report may be in for (yesterday for morning reports); its
    report may not be due yet (``kpi_question``)."""
    return default_business_date(org, now)


def kpi_question(org: OrgConfig, period: Period, today: date, now: datetime) -> KpiQuestion:
    """The KPI question over ``period`` up to ``today``: only days whose report is due at
    ``now`` can be missing or lower a punctuality figure."""
    return KpiQuestion(period, today, metric_catalog(org), DueRule.of(org).last_due(now))


def metric_catalog(org: OrgConfig) -> MetricCatalog:
    return MetricCatalog(
        base=tuple(m.key for m in org.base_metrics),
        derived=tuple(m.key for m in org.derived_order),
        derive=partial(compute_derived, org.derived_order),
    )


def lower_is_better(org: OrgConfig) -> frozenset[str]:
    """Metrics where less is good, read from the alert rules (a cap, or a band with only a
    ceiling): ads cost capped per day, cancel rate under 8%..."""
    keys = set()
    for rule in org.alert_rules:
        if isinstance(rule, DailyRule) and rule.direction == "above":
            keys.add(rule.metric)
        if isinstance(rule, RatioBandRule) and rule.low is None and rule.high is not None:
            keys.add(rule.metric)
    return frozenset(keys)


def form_metrics(org: OrgConfig, stores: Sequence[StoreRef]) -> tuple[str, ...]:
    """The metrics of the form that reports these stores (the first store's department)."""
    for store in stores:
        config = org.store(store.code)
        form = org.form_for_department(config.department) if config else None
        if form is not None:
            return form.metric_keys
    return tuple(m.key for m in org.base_metrics)


def primary_metric(org: OrgConfig, stores: Sequence[StoreRef]) -> str:
    keys = form_metrics(org, stores)
    return keys[0] if keys else org.base_metrics[0].key


# --- what a member may look at -------------------------------------------------------------------


def visible_brands(scope: Scope) -> list[tuple[Brand, tuple[Store, ...]]]:
    """Brands with at least one store in scope, each with only those stores."""
    return list(scope.brand_stores)


def brands_in_scope(scope: Scope) -> list[Brand]:
    return [brand for brand, _ in visible_brands(scope)]


def store_target(scope: Scope, store_id: int) -> Target | None:
    store = next((s for s in scope.stores if s.id == store_id), None)
    if store is None:
        return None
    return Target("store", store.id, store.code, store.name, (store,), ("brand", store.brand_id))


def brand_target(scope: Scope, brand_id: int) -> Target | None:
    for brand, stores in visible_brands(scope):
        if brand.id == brand_id:
            return Target("brand", brand.id, brand.code, brand.name, stores, ("all", 0))
    return None


def all_target(scope: Scope, name: str) -> Target | None:
    if not scope.stores:
        return None
    return Target("all", 0, "all", name, scope.stores)


async def department_target(
    session: AsyncSession, scope: Scope, department_id: int
) -> tuple[Department, Target] | None:
    department = await catalog_repo.get_department(session, department_id)
    if department is None or not department.active or not scope.sees_department(department.id):
        return None
    stores = tuple(s for s in scope.stores if s.department_id == department.id)
    name = department.name_vi
    return department, Target("dept", department.id, department.code, name, stores)


async def visible_departments(session: AsyncSession, scope: Scope) -> list[Department]:
    return [d for d in await catalog_repo.list_departments(session) if scope.sees_department(d.id)]


def find_targets(scope: Scope, text: str, *, typos: bool = True) -> list[Match]:
    """Stores and brands in scope matching ``text`` (code or name, accents forgiven; typos too
    unless ``typos`` is False)."""
    return search(text, scope.search_candidates, typos=typos)


def find_department(departments: Sequence[Department], text: str) -> list[Match]:
    candidates = [Candidate("dept", d.id, d.code, d.name_vi) for d in departments]
    candidates += [Candidate("dept", d.id, d.code, d.name_en) for d in departments]
    unique: dict[int, Match] = {}
    for match in search(text, candidates):
        unique.setdefault(match.candidate.id, match)
    return list(unique.values())


# --- KPI of a set of stores ----------------------------------------------------------------------


def _plans_by_store(rows: kpi_repo.PlanRows) -> dict[int, Plans]:
    return {
        store_id: {
            month: {m: MetricPlan(target, weights) for m, (target, weights) in metrics.items()}
            for month, metrics in months.items()
        }
        for store_id, months in rows.items()
    }


async def store_set_kpi(
    session: AsyncSession,
    org: OrgConfig,
    target: Target,
    period: Period,
    today: date,
    *,
    now: datetime,
    with_heatmap: bool = False,
) -> StoreSetKpi:
    ask = kpi_question(org, period, today, now)
    stores = target.stores
    keys = [kpi_repo.store_key(s.id) for s in stores]
    elapsed = ask.elapsed
    month = ask.forecast_month
    totals: kpi_repo.Totals = {}
    if elapsed:
        totals = await kpi_repo.metric_totals(session, keys, period.start, elapsed[-1])
    window = comparison_window(period, today)
    previous = (
        await kpi_repo.metric_totals(session, keys, window.start, window.end) if window else {}
    )
    if (month.start, month.end) == (period.start, period.end):
        month_totals = totals
    else:
        month_end = min(month.end, today)
        month_totals = await kpi_repo.metric_totals(session, keys, month.start, month_end)
    span_start, span_end = min(period.start, month.start), max(period.end, month.end)
    reported = await kpi_repo.reported_days(session, keys, span_start, span_end)
    months = [month_key(y, m) for y, m in months_touched(span_start, span_end)]
    plans = _plans_by_store(await kpi_repo.plans_for(session, [s.id for s in stores], months))
    primary = primary_metric(org, stores)
    daily = (
        await kpi_repo.daily_totals(session, keys, period.start, elapsed[-1], [primary])
        if elapsed
        else {}
    )
    facts = [
        SubjectFacts(
            key=key,
            label=store.code,
            totals=totals.get(key, {}),
            previous_totals=previous.get(key, {}),
            month_totals=month_totals.get(key, {}),
            reported_days=frozenset(reported.get(key, ())),
            plans=plans.get(store.id, {}),
        )
        for store, key in zip(stores, keys, strict=True)
    ]
    reporters: dict[date, int] = {}
    for days in reported.values():
        for day in days:
            reporters[day] = reporters.get(day, 0) + 1
    if len(facts) >= WORKER_AT_SUBJECTS:
        # Hundreds of stores take the engine 0.1–0.3 s of pure Python. On a thread it held the
        # GIL against the event loop (stalls of 100 ms and more with a few such views at once);
        # in the worker process only pickling its input and output touches this process.
        report, points = await worker.compute(
            evaluate_store_set, facts, ask, primary, daily, reporters
        )
    else:
        report, points = evaluate_store_set(facts, ask, primary, daily, reporters)
    due = set(ask.due)
    missing = tuple(p.day for p in points if p.day in due and p.reporters == 0)
    heatmap: tuple[tuple[str, tuple[float | None, ...]], ...] = ()
    if with_heatmap and elapsed:
        heatmap = await _heatmap(session, report, facts, primary, elapsed)
    return StoreSetKpi(
        target=target,
        question=ask,
        report=report,
        primary=primary,
        metrics_shown=headline_metrics(org, report, form_metrics(org, stores)),
        daily_actual={p.day: p.actual for p in points},
        daily_plan={p.day: p.plan for p in points},
        missing_days=missing,
        heatmap_rows=heatmap,
        lower_better=lower_is_better(org),
    )


async def _heatmap(
    session: AsyncSession,
    report: KpiReport,
    facts: Sequence[SubjectFacts],
    metric: str,
    days: Sequence[date],
) -> tuple[tuple[str, tuple[float | None, ...]], ...]:
    """Rows of the ranking's best and worst stores: each day's value over its daily target
    (over the store's own daily average when it has no plan); None when not reported."""
    ranked = sorted(
        report.subjects,
        key=lambda s: (s.metrics[metric].pacing is None, -(s.metrics[metric].pacing or 0.0)),
    )
    if len(ranked) > HEATMAP_ROWS:
        half = HEATMAP_ROWS // 2
        ranked = [*ranked[:half], *ranked[-(HEATMAP_ROWS - half) :]]
    keys = [s.key for s in ranked]
    values = await kpi_repo.subject_daily_values(session, keys, metric, days[0], days[-1])
    facts_by_key = {f.key: f for f in facts}
    rows = []
    for subject in ranked:
        own = values.get(subject.key, {})
        average = sum(own.values()) / len(own) if own else None
        cells = []
        for day in days:
            value = own.get(day)
            base = plan_of_day(facts_by_key[subject.key].plans, metric, day) or average
            cells.append(None if value is None or not base else value / base)
        rows.append((subject.label, tuple(cells)))
    return tuple(rows)


def headline_metrics(
    org: OrgConfig, report: KpiReport, form_keys: Sequence[str], limit: int = 6
) -> tuple[str, ...]:
    """The tiles: planned metrics of the form first, then ratios that could be computed."""
    metrics = report.metrics
    planned = [k for k in form_keys if k in metrics and metrics[k].plan is not None][:3]
    reported = [k for k in form_keys if k in metrics and metrics[k].actual is not None]
    chosen = planned or reported[:3]
    for key in reported:
        if len(chosen) >= 3:
            break
        if key not in chosen:
            chosen.append(key)
    inputs = set(form_keys)
    for derived in org.derived_order:
        if len(chosen) >= limit:
            break
        kpi = metrics.get(derived.key)
        if kpi is not None and kpi.actual is not None and derived.formula.variables <= inputs:
            chosen.append(derived.key)
    return tuple(chosen)


# --- people ----------------------------------------------------------------------------------


async def people_kpi(
    session: AsyncSession,
    org: OrgConfig,
    department: Department,
    people: Sequence[Member],
    period: Period,
    today: date,
    *,
    now: datetime,
) -> PeopleKpi:
    """Each person's output over the elapsed part of ``period`` (person forms), and how many
    of the days measured (due, or reported early) they reported."""
    ask = kpi_question(org, period, today, now)
    form = org.form_for_department(department.code)
    metrics = form.metric_keys if form else ()
    keys = {kpi_repo.member_key(m.id): m for m in people}
    elapsed = ask.elapsed
    totals: kpi_repo.Totals = {}
    reported: dict[str, set[date]] = {}
    if elapsed and keys:
        totals = await kpi_repo.metric_totals(session, keys, period.start, elapsed[-1], metrics)
        reported = await kpi_repo.reported_days(session, keys, period.start, elapsed[-1])
    rows = tuple(
        PersonTotals(
            member,
            totals.get(key, {}),
            len(reported.get(key, ())),
            ask.counted(reported.get(key, set())),
        )
        for key, member in keys.items()
    )
    return PeopleKpi(department, ask, metrics, rows)


async def department_people(
    session: AsyncSession, scope: Scope, department_id: int
) -> list[Member]:
    """Reporting members (staff and managers) of a department that the viewer may see."""
    people = await members_repo.list_members(session, department_id=department_id)
    return [
        p
        for p in people
        if p.role in (Role.STAFF.value, Role.MANAGER.value) and scope.sees_member(p.id)
    ]


# --- /me -------------------------------------------------------------------------------------


async def me_kpi(
    session: AsyncSession,
    org: OrgConfig,
    member: Member,
    scope: Scope,
    period: Period,
    today: date,
    name: str,
    *,
    now: datetime,
) -> MeKpi | None:
    """The member's own stores (or output) and report punctuality (of the days due at
    ``now``); None without a form."""
    form = form_of(org, member)
    if form is None:
        return None
    subjects = await subjects_for(session, org, member, form)
    elapsed = period.elapsed_days(today)
    keys = [s.key for s in subjects]
    sent = await kpi_repo.first_sent(session, keys, period.start, today) if elapsed else {}
    first_sent = _day_complete_at(keys, sent, elapsed)
    verdicts = punctuality(elapsed, first_sent, DueRule.of(org), now)
    if form.per == "person":
        department = member.department
        assert department is not None  # form_of found a form, so there is a department
        people = await people_kpi(session, org, department, [member], period, today, now=now)
        return MeKpi(member, None, people.people[0], form.metric_keys, verdicts)
    store_ids = {s.store_id for s in subjects}
    stores = [store for store in scope.stores if store.id in store_ids]
    target = Target("all", 0, "me", name, tuple(stores))
    kpi = await store_set_kpi(session, org, target, period, today, now=now) if stores else None
    return MeKpi(member, kpi, None, form.metric_keys, verdicts)


def _day_complete_at(
    keys: Sequence[str], sent: dict[str, dict[date, datetime]], days: Sequence[date]
) -> dict[date, datetime]:
    """When each day's reports were all in: the latest first sending over the subjects."""
    result = {}
    for day in days:
        times = [sent.get(key, {}).get(day) for key in keys]
        if keys and all(t is not None for t in times):
            result[day] = max(t for t in times if t is not None)
    return result


def base_metric(org: OrgConfig, key: str) -> BaseMetric | None:
    metric = org.metric(key)
    return metric if isinstance(metric, BaseMetric) else None
