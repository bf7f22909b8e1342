"""Where reported numbers came from: the source of each report's latest revision."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Report, ValueRevision

CHUNK = 500  # keys per IN (...) list


async def latest_revision_sources(
    session: AsyncSession, business_date: date, subject_keys: Sequence[str]
) -> dict[str, str]:
    """subject key -> ``value_revisions.source`` of the latest revision of its
    ``business_date`` report (``chat``, ``import:<format>``, ``api:<token>``). Reports without
    a revision row are left out."""
    found: dict[str, str] = {}
    keys = list(dict.fromkeys(subject_keys))
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        # Ids grow with every write: the highest id of a report is its latest revision.
        latest = (
            select(func.max(ValueRevision.id).label("id"))
            .join(Report, Report.id == ValueRevision.report_id)
            .where(Report.business_date == business_date, Report.subject_key.in_(chunk))
            .group_by(ValueRevision.report_id)
            .subquery()
        )
        rows = await session.execute(
            select(Report.subject_key, ValueRevision.source)
            .join(Report, Report.id == ValueRevision.report_id)
            .where(ValueRevision.id.in_(select(latest.c.id)))
        )
        for subject_key, source in rows.all():
            found[subject_key] = source
    return found
