"""`/plan template`: a plan file pre-filled for the member's stores and people, ready to fill and
send back.

Sheets: the plan (one row per store and plan metric, current targets filled in), the day
weights (the org file's campaign days and paydays, plus any store whose stored weights differ),
the people (one row per person and metric, their stored targets of the month filled in) and the
instructions. Sending it back unchanged imports cleanly and changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.months import YearMonth
from bot.domain.plan_weights import org_day_weights
from bot.domain.text_norm import normalize
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.org.sections import BaseMetric
from bot.roles import REPORTERS, Role
from bot.services.person_targets import members_in_scope, person_metrics
from bot.services.plans import plan_metrics
from bot.services.reporting import form_of
from bot.services.scope import Scope
from bot.services.xlsx import Column, Sheet, plain_text, workbook_bytes
from storage.models import Member, Plan, Store
from storage.repositories import catalog
from storage.repositories import discipline as discipline_repo
from storage.repositories import person_targets as person_repo
from storage.repositories import plans as plan_repo


@dataclass(frozen=True)
class PlanTemplate:
    file_name: str
    content: bytes
    stores: int
    people: int


async def build_plan_template(
    session: AsyncSession, org: OrgConfig, scope: Scope, month: YearMonth, t: Translator
) -> PlanTemplate:
    """The .xlsx template for the stores and people in ``scope`` and ``month``."""
    stored = await plan_repo.plans_for(session, [s.id for s in scope.stores], [str(month)])
    people, targets = await template_people(session, org, scope, month)
    sheets = template_sheets(org, scope.stores, month, stored, t)
    sheets.insert(2, _people_sheet(people, targets, month, t))
    content = await asyncio.to_thread(workbook_bytes, sheets)
    name = t("plan.template.file_name", month=str(month))
    return PlanTemplate(name, content, len(scope.stores), len(people))


def template_sheets(
    org: OrgConfig,
    stores: Sequence[Store],
    month: YearMonth,
    stored: Sequence[Plan],
    t: Translator,
) -> list[Sheet]:
    """The plan, day weights and instructions sheets."""
    targets = {(p.store_id, p.metric): p.target for p in stored}
    metrics = plan_metrics(org)
    plan = Sheet(
        t("plan.template.sheet_plan"),
        [
            Column(t("plan.template.col_store")),
            Column(t("plan.template.col_store_name")),
            Column(t("plan.template.col_metric")),
            Column(t("plan.template.col_metric_name")),
            Column(t("plan.template.col_month")),
            Column(t("plan.template.col_target"), "money", width=18),
        ],
    )
    for store in stores:
        for metric in metrics:
            plan.rows.append(
                [
                    store.code,
                    store.name,
                    metric.key,
                    metric.label.get(t.locale),
                    str(month),
                    targets.get((store.id, metric.key)),
                ]
            )
    help_lines = t("plan.template.help", month=str(month), example_store=_example(stores))
    return [
        plan,
        _weights_sheet(org, stores, month, stored, t),
        Sheet(
            t("plan.template.sheet_help"),
            [Column("", width=110)],
            [[line] for line in help_lines.splitlines()],
            table=False,
        ),
    ]


# --- the people sheet ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplatePerson:
    """A person of the people sheet, with the metrics offered to them."""

    member_id: int
    handle: str  # "@username", or the Telegram id ``/me`` shows: how the sheet names them
    name: str
    department: str
    metrics: tuple[BaseMetric, ...]


def handle_of(member: Member) -> str:
    return f"@{member.username}" if member.username else str(member.telegram_id)


def _store_form_keys(org: OrgConfig, store: Store) -> tuple[str, ...]:
    config = org.store(store.code)
    form = org.form_for_department(config.department) if config else None
    return form.metric_keys if form is not None and form.per == "store" else ()


async def template_people(
    session: AsyncSession, org: OrgConfig, scope: Scope, month: YearMonth
) -> tuple[list[TemplatePerson], dict[tuple[int, str], float]]:
    """Whom the people sheet lists, and their stored targets of ``month`` by (member id,
    metric): the people ``scope`` sees who report per person (their form's metrics) or own
    stores (the plan metrics their stores' forms report), and anyone in it with a stored
    target of the month (for that metric too)."""
    members = await members_in_scope(session, scope)
    stored = await person_repo.targets_for(session, [m.id for m in members], [str(month)])
    targets = {(row.member_id, row.metric): row.target for row in stored}
    owned = await discipline_repo.store_assignments(session)
    stores = {s.id: s for s in await catalog.list_stores(session)}
    plan_keys = {m.key for m in plan_metrics(org)}
    found = []
    for member in members:
        keys = {metric for member_id, metric in targets if member_id == member.id}
        form = form_of(org, member)
        if form is not None and form.per == "person" and Role(member.role) in REPORTERS:
            keys.update(form.metric_keys)
        for store_id in owned.get(member.id, ()):
            if store_id in stores:
                keys.update(k for k in _store_form_keys(org, stores[store_id]) if k in plan_keys)
        metrics = tuple(m for m in person_metrics(org) if m.key in keys)
        if metrics:
            department = member.department.code if member.department else ""
            person = TemplatePerson(
                member.id, handle_of(member), member.full_name, department, metrics
            )
            found.append(person)
    found.sort(key=lambda p: (p.department, normalize(p.name), p.member_id))
    return found, targets


def _people_sheet(
    people: Sequence[TemplatePerson],
    targets: Mapping[tuple[int, str], float],
    month: YearMonth,
    t: Translator,
) -> Sheet:
    sheet = Sheet(
        t("plan.template.sheet_people"),
        [
            Column(t("plan.template.col_member")),
            Column(t("plan.template.col_member_name")),
            Column(t("plan.template.col_metric")),
            Column(t("plan.template.col_metric_name")),
            Column(t("plan.template.col_month")),
            Column(t("plan.template.col_target"), "money", width=18),
        ],
    )
    for person in people:
        for metric in person.metrics:
            sheet.rows.append(
                [
                    person.handle,
                    plain_text(person.name),
                    metric.key,
                    metric.label.get(t.locale),
                    str(month),
                    targets.get((person.member_id, metric.key)),
                ]
            )
    return sheet


# --- day weights --------------------------------------------------------------------------------


def _example(stores: Sequence[Store]) -> str:
    return stores[0].code if stores else "HS-SHOPEE"


def _weights_sheet(
    org: OrgConfig,
    stores: Sequence[Store],
    month: YearMonth,
    stored: Sequence[Plan],
    t: Translator,
) -> Sheet:
    sheet = Sheet(
        t("plan.template.sheet_weights"),
        [
            Column(t("plan.template.col_store")),
            Column(t("plan.template.col_month")),
            Column(t("plan.template.col_day"), "count"),
            Column(t("plan.template.col_weight"), "weight"),
            Column(t("plan.template.col_occasion")),
        ],
    )
    base = org_day_weights(org.plans, month)
    names = _occasions(org, month, t)
    for day, weight in base.items():
        sheet.rows.append(
            [t("plan.template.all_stores"), str(month), int(day), weight, names.get(day, "")]
        )
    stored_weights = {p.store_id: dict(p.day_weights or {}) for p in stored}
    for store in stores:
        if store.id not in stored_weights:
            continue
        own = stored_weights[store.id]
        for day in sorted(set(base) | set(own), key=int):
            if own.get(day, 1.0) != base.get(day, 1.0):
                sheet.rows.append(
                    [store.code, str(month), int(day), own.get(day, 1.0), names.get(day, "")]
                )
    return sheet


def _occasions(org: OrgConfig, month: YearMonth, t: Translator) -> Mapping[str, str]:
    names: dict[str, str] = {}
    for payday in org.plans.paydays:
        names[str(min(payday.day, month.days))] = t("plan.template.payday")
    for campaign in org.plans.campaign_days:
        text = campaign.date if len(campaign.date) > 5 else f"{month.year:04d}-{campaign.date}"
        if text.startswith(f"{month}-"):
            names[str(int(text[-2:]))] = campaign.name or text[-5:]
    return names
