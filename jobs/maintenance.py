"""Housekeeping jobs: forgetting processed webhook updates once Telegram cannot redeliver them.

Idempotent: a second run for the same hour finds nothing older to delete (and ``job_runs``
already makes each hour run once across processes).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.org.schema import OrgConfig
from bot.services.updates import prune_processed


async def prune_updates(session: AsyncSession, org: OrgConfig, period: str, at: datetime) -> str:
    """Processed update ids older than 24 hours before the run's scheduled time."""
    removed = await prune_processed(session, at)
    return f"{removed} processed update(s) forgotten"
