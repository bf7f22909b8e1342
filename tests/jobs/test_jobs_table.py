"""The job table: every job has one name, a schedule and a handler that can be awaited."""

from __future__ import annotations

import inspect
from pathlib import Path

from bot.org.loader import load_org
from jobs.table import JOBS, default_handlers, job_specs


def test_job_names_are_unique() -> None:
    names = [job.name for job in JOBS]
    assert len(names) == len(set(names))


def test_every_job_has_a_coroutine_handler() -> None:
    lacking = [job.name for job in JOBS if not inspect.iscoroutinefunction(job.handler)]
    assert not lacking, f"jobs without an async handler: {lacking}"


def test_every_scheduled_job_has_a_handler() -> None:
    org = load_org(Path("examples/demo-org.yaml"))
    scheduled = {spec.name for spec in job_specs(org)}
    assert scheduled == {job.name for job in JOBS}  # the demo org schedules every job
    assert scheduled <= set(default_handlers())
