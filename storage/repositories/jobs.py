"""Job runs: the record of "did this job run for this period". The caller owns the transaction.

``try_start_run`` is the gate every scheduled job passes: the unique (job, period) key makes sure
only one process, once, does the work for a period. Write the run and the messages it queues in
the same transaction, so a crash leaves either both or neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import JobRun

RUNNING = "running"
DONE = "done"
FAILED = "failed"


async def try_start_run(
    session: AsyncSession, job: str, period: str, now: datetime
) -> JobRun | None:
    """Record that ``job`` starts for ``period``; None if a run for that period already exists.

    The insert happens in a SAVEPOINT, so a duplicate leaves the caller's transaction usable.
    """
    run = JobRun(job=job, period=period, started_at=now, status=RUNNING)
    try:
        async with session.begin_nested():
            session.add(run)
    except IntegrityError:
        if await get_run(session, job, period) is None:
            raise  # some other constraint failed: not a duplicate period
        return None
    return run


async def finish_run(
    session: AsyncSession, run: JobRun, now: datetime, status: str, detail: str | None = None
) -> JobRun:
    """Close a run with its outcome (``DONE``, ``FAILED`` or a job's own word)."""
    run.finished_at = now
    run.status = status
    run.detail = detail
    await session.flush()
    return run


async def get_run(session: AsyncSession, job: str, period: str) -> JobRun | None:
    return await session.scalar(select(JobRun).where(JobRun.job == job, JobRun.period == period))


async def last_runs(session: AsyncSession, job: str, limit: int = 10) -> Sequence[JobRun]:
    """The newest runs of ``job`` first."""
    query = (
        select(JobRun)
        .where(JobRun.job == job)
        .order_by(JobRun.started_at.desc(), JobRun.id.desc())
        .limit(limit)
    )
    return (await session.scalars(query)).all()
