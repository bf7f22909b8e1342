"""The monthly .xlsx export: daily values, plan vs actual, people's output — within a scope.

Each sheet comes from a *sheet source*, ``async (session, request) -> Sheet | None`` (None when
it has nothing to show). ``default_sheets()`` lists them in order; another feature adds a sheet
by appending its source there (or passes ``sources=`` to ``build_export``). Sources only gather
data; the workbook itself is written off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.derived_metrics import compute_derived
from bot.domain.months import YearMonth
from bot.domain.plan_days import daily_plan
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.org.sections import BaseMetric, Metric
from bot.services.export_request import ExportRequest, SheetSource
from bot.services.order_export import requests_sheet, timeline_sheet
from bot.services.plans import plan_metrics
from bot.services.revision_export import revisions_sheet
from bot.services.xlsx import Column, ColumnKind, Sheet, workbook_bytes
from storage.models import Plan
from storage.repositories import export_reads
from storage.repositories import plans as plan_repo

log = logging.getLogger(__name__)

UNIT_KINDS: dict[str, ColumnKind] = {
    "money": "money",
    "count": "count",
    "percent": "percent",
    "hours": "number",
    "number": "number",
}


@dataclass(frozen=True)
class ExportFile:
    file_name: str
    content: bytes
    sheets: tuple[str, ...]
    rows: int


def default_sheets() -> list[SheetSource]:
    """The sheets of every export, in order. Features append their own sources here."""
    return [
        daily_values_sheet,
        plan_attainment_sheet,
        people_sheet,
        requests_sheet,
        timeline_sheet,
        revisions_sheet,
    ]


def is_future(month: YearMonth, today: date) -> bool:
    return month > YearMonth.of(today)


async def build_export(
    session: AsyncSession,
    request: ExportRequest,
    sources: Sequence[SheetSource] | None = None,
) -> ExportFile | None:
    """The workbook, or None when no sheet has anything for this month and scope."""
    sheets = []
    for source in default_sheets() if sources is None else sources:
        sheet = await source(session, request)
        if sheet is not None and sheet.rows:
            sheets.append(sheet)
    if not sheets:
        return None
    content = await asyncio.to_thread(workbook_bytes, sheets)
    rows = sum(len(s.rows) for s in sheets)
    log.info("export built month=%s sheets=%d rows=%d", request.month, len(sheets), rows)
    return ExportFile(
        request.t("export.file_name", month=str(request.month)),
        content,
        tuple(s.title for s in sheets),
        rows,
    )


# --- helpers -----------------------------------------------------------------------------------


def _label(metric: Metric, t: Translator) -> str:
    return metric.label.get(t.locale)


def _cell(metric: Metric, value: float | None) -> float | None:
    """Percent metrics are stored as 3.2 (%); Excel shows 0.032 as 3.2%."""
    if value is None:
        return None
    return value / 100 if metric.unit == "percent" else value


def _store_metrics(org: OrgConfig) -> tuple[list[BaseMetric], list[Metric]]:
    """Base metrics of the per-store forms, and the derived metrics computable from them."""
    keys = list(
        dict.fromkeys(k for form in org.forms if form.per == "store" for k in form.metric_keys)
    )
    base = [m for m in (org.metric(k) for k in keys) if isinstance(m, BaseMetric)]
    known = set(keys)
    derived: list[Metric] = []
    for metric in org.derived_order:
        if metric.formula.variables <= known:
            derived.append(metric)
            known.add(metric.key)
    return base, derived


# --- daily values ------------------------------------------------------------------------------


async def daily_values_sheet(session: AsyncSession, request: ExportRequest) -> Sheet | None:
    """One row per store and reported day: every base metric, then the derived ones."""
    t, org = request.t, request.org
    stores = {s.id: s for s in request.scope.stores}
    values = await export_reads.store_values(
        session, stores, request.month.first_day, request.month.last_day
    )
    if not values:
        return None
    base, derived = _store_metrics(org)
    by_row: dict[tuple[date, int], dict[str, float]] = defaultdict(dict)
    for item in values:
        by_row[(item.day, item.store_id)][item.metric] = item.value
    sheet = Sheet(
        t("export.sheet_daily"),
        [
            Column(t("export.col_date"), "date"),
            Column(t("export.col_store")),
            Column(t("export.col_store_name")),
            Column(t("export.col_brand")),
            *(Column(_label(m, t), UNIT_KINDS[m.unit]) for m in (*base, *derived)),
        ],
    )
    for (day, store_id), numbers in sorted(
        by_row.items(), key=lambda i: (i[0][0], stores[i[0][1]].code)
    ):
        store = stores[store_id]
        computed = compute_derived(org.derived_order, numbers)
        sheet.rows.append(
            [
                day,
                store.code,
                store.name,
                store.brand.name,
                *(_cell(m, numbers.get(m.key)) for m in base),
                *(_cell(m, computed.get(m.key)) for m in derived),
            ]
        )
    return sheet


# --- plan vs actual ----------------------------------------------------------------------------


async def plan_attainment_sheet(session: AsyncSession, request: ExportRequest) -> Sheet | None:
    """Per store and plan metric: month target, plan and actual to date, attainment."""
    t, org, month = request.t, request.org, request.month
    stores = {s.id: s for s in request.scope.stores}
    plans = {
        (p.store_id, p.metric): p for p in await plan_repo.plans_for(session, stores, [str(month)])
    }
    values = await export_reads.store_values(session, stores, month.first_day, request.last_day)
    actual: dict[tuple[int, str], float] = defaultdict(float)
    reported: dict[int, set[date]] = defaultdict(set)
    for item in values:
        actual[(item.store_id, item.metric)] += item.value
        reported[item.store_id].add(item.day)
    sheet = Sheet(
        t("export.sheet_plan"),
        [
            Column(t("export.col_store")),
            Column(t("export.col_store_name")),
            Column(t("export.col_brand")),
            Column(t("export.col_metric")),
            Column(t("export.col_target"), "money"),
            Column(t("export.col_plan_to_date"), "money"),
            Column(t("export.col_actual_to_date"), "money"),
            Column(t("export.col_attainment_to_date"), "percent"),
            Column(t("export.col_attainment_month"), "percent"),
            Column(t("export.col_days_reported"), "count"),
        ],
    )
    for store in sorted(stores.values(), key=lambda s: s.code):
        for metric in plan_metrics(org):
            plan = plans.get((store.id, metric.key))
            done = actual.get((store.id, metric.key))
            if plan is None and done is None:
                continue
            days = len(reported.get(store.id, ()))
            sheet.rows.append(
                [
                    store.code,
                    store.name,
                    store.brand.name,
                    *_attainment(metric, plan, done, days, request),
                ]
            )
    return sheet


def _attainment(
    metric: BaseMetric, plan: Plan | None, done: float | None, days: int, request: ExportRequest
) -> list[object]:
    target = plan.target if plan is not None else None
    to_date = None
    if plan is not None and request.last_day >= request.month.first_day:
        month = request.month
        per_day = daily_plan(plan.target, month.year, month.month, plan.day_weights or {})
        to_date = sum(v for day, v in per_day.items() if day <= request.last_day)
    return [
        _label(metric, request.t),
        target,
        to_date,
        done,
        (done or 0.0) / to_date if to_date else None,
        (done or 0.0) / target if target else None,
        days,
    ]


# --- people ------------------------------------------------------------------------------------


async def people_sheet(session: AsyncSession, request: ExportRequest) -> Sheet | None:
    """Person-level output (videos, live sessions, bookings...) of the people in scope."""
    t, org, scope = request.t, request.org, request.scope
    member_ids = None if scope.everything else scope.member_ids
    values = await export_reads.person_values(
        session, member_ids, request.month.first_day, request.month.last_day
    )
    if not values:
        return None
    keys = list(
        dict.fromkeys(k for form in org.forms if form.per == "person" for k in form.metric_keys)
    )
    present = {item.metric for item in values}
    metrics = [m for m in (org.metric(k) for k in keys) if m is not None and m.key in present]
    rows: dict[tuple[date, int], dict[str, float]] = defaultdict(dict)
    who: dict[int, tuple[str, str]] = {}
    for item in values:
        rows[(item.day, item.member_id)][item.metric] = item.value
        department = org.department(item.department) if item.department else None
        who[item.member_id] = (item.name, department.name.get(t.locale) if department else "")
    sheet = Sheet(
        t("export.sheet_people"),
        [
            Column(t("export.col_date"), "date"),
            Column(t("export.col_person")),
            Column(t("export.col_department")),
            *(Column(_label(m, t), UNIT_KINDS[m.unit]) for m in metrics),
        ],
    )
    for (day, member_id), numbers in sorted(rows.items(), key=lambda i: (i[0][0], who[i[0][1]])):
        name, department_name = who[member_id]
        sheet.rows.append(
            [day, name, department_name, *(_cell(m, numbers.get(m.key)) for m in metrics)]
        )
    return sheet
