"""`/plan template`: a plan file pre-filled for the member's stores, ready to fill and send back.

Sheets: the plan (one row per store and plan metric, current targets filled in), the day
weights (the org file's campaign days and paydays, plus any store whose stored weights differ)
and the instructions. Sending it back unchanged imports cleanly and changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.months import YearMonth
from bot.domain.plan_weights import org_day_weights
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.services.plans import plan_metrics
from bot.services.scope import Scope
from bot.services.xlsx import Column, Sheet, workbook_bytes
from storage.models import Plan, Store
from storage.repositories import plans as plan_repo


async def build_plan_template(
    session: AsyncSession, org: OrgConfig, scope: Scope, month: YearMonth, t: Translator
) -> tuple[str, bytes]:
    """(file name, .xlsx bytes) of the template for the stores in ``scope`` and ``month``."""
    stored = await plan_repo.plans_for(session, [s.id for s in scope.stores], [str(month)])
    sheets = template_sheets(org, scope.stores, month, stored, t)
    content = await asyncio.to_thread(workbook_bytes, sheets)
    return t("plan.template.file_name", month=str(month)), content


def template_sheets(
    org: OrgConfig,
    stores: Sequence[Store],
    month: YearMonth,
    stored: Sequence[Plan],
    t: Translator,
) -> list[Sheet]:
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
