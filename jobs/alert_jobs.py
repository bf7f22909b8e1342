"""Scheduled KPI alert jobs: the daily evaluation after the deadline, escalation every 15 min
(of store and campaign alerts alike).

Both only write alert states and outbox rows, in the job run's transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.org.schema import OrgConfig
from bot.services import alert_escalation, alerts
from bot.services.reporting import default_business_date


async def evaluate(session: AsyncSession, org: OrgConfig, period: str, at: datetime) -> str:
    """Every rule for every store, for the business date the run's morning reports cover."""
    day = default_business_date(org, at)
    run = await alerts.evaluate_alerts(session, org, day, at)
    return f"{day}: {run.text}"


async def escalate(session: AsyncSession, org: OrgConfig, period: str, at: datetime) -> str:
    queued = await alert_escalation.escalate_alerts(session, org, at)
    return f"{queued} escalation message(s) queued"
