"""Alerts re-evaluated after values are saved for a day past its deadline: a late report, a
correction, an import or an API push. A failure here never loses the saved values."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.org.schema import OrgConfig
from bot.services.alerts import AlertRun, deadline_of, evaluate_alerts, latest_due_date

log = logging.getLogger(__name__)


async def after_report_saved(
    session: AsyncSession, org: OrgConfig, store_id: int | None, day: date, now: datetime
) -> AlertRun | None:
    """Re-evaluate a store when a report for a day past its deadline is saved (a late report
    or a correction). Missing data is judged as of the latest due date only."""
    if store_id is None:
        return None
    return await after_reports_saved(session, org, [(store_id, day)], now)


async def after_reports_saved(
    session: AsyncSession, org: OrgConfig, saved: Iterable[tuple[int, date]], now: datetime
) -> AlertRun | None:
    """``after_report_saved`` for many (store, day) pairs at once, as an import or an API push
    writes them: the day rules run once per day over that day's stores, missing data once over
    all of them, instead of twice per pair (a 100-store push was 200 evaluations)."""
    by_day: dict[date, set[int]] = defaultdict(set)
    for store_id, day in saved:
        if now >= deadline_of(org, day):
            by_day[day].add(store_id)
    if not by_day:
        return None
    day_rules = {r.type for r in org.alert_rules if r.type != "missing_data"}
    run = AlertRun()
    if day_rules:
        for day in sorted(by_day):
            run.add(
                await evaluate_alerts(
                    session, org, day, now, store_ids=by_day[day], rule_types=day_rules
                )
            )
    every_store = set().union(*by_day.values())
    latest = latest_due_date(org, now)
    run.add(
        await evaluate_alerts(
            session, org, latest, now, store_ids=every_store, rule_types=["missing_data"]
        )
    )
    return run


async def recheck_after_report(
    session: AsyncSession, org: OrgConfig, store_id: int | None, day: date, now: datetime
) -> None:
    """``after_report_saved`` in a savepoint: an alert failure never loses the saved report."""
    if store_id is not None:
        await recheck_after_reports(session, org, [(store_id, day)], now)


async def recheck_after_reports(
    session: AsyncSession, org: OrgConfig, saved: Sequence[tuple[int, date]], now: datetime
) -> None:
    """``after_reports_saved`` in a savepoint: an alert failure never loses the saved values."""
    try:
        async with session.begin_nested():
            await after_reports_saved(session, org, saved, now)
    except Exception:
        log.exception("alert re-check failed pairs=%s; the values are kept", sorted(saved)[:10])
