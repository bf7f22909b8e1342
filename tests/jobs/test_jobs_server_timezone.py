"""The server's own timezone never moves the org's 10:30, and midnight starts a new period."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FrozenClock
from bot.org.loader import load_org
from bot.org.schema import OrgConfig
from bot.services.reporting import default_business_date
from jobs.registry import next_fire_time, period_for
from jobs.scheduler import build_scheduler
from jobs.table import default_handlers, find_spec


@pytest.fixture(params=["UTC", "America/Los_Angeles", "Asia/Tokyo", "Pacific/Kiritimati"])
def server_timezone(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(scope="module")
def org() -> OrgConfig:
    return load_org(Path("examples/demo-org.yaml"))


def test_reminder_fires_at_1030_in_ho_chi_minh_city_whatever_the_server_zone(
    server_timezone: str, org: OrgConfig
) -> None:
    # The zone really is in effect for naive local time in this process.
    moment = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
    offset = moment.astimezone(ZoneInfo(server_timezone)).utcoffset()
    assert offset is not None
    assert time.localtime(moment.timestamp()).tm_gmtoff == offset.total_seconds()
    reminder = find_spec(org, "reminder")
    assert reminder is not None
    fire = next_fire_time(reminder, datetime(2026, 11, 21, 2, 0, tzinfo=UTC))
    assert fire is not None
    assert fire.astimezone(UTC) == datetime(2026, 11, 21, 3, 30, tzinfo=UTC)


async def test_the_scheduler_plans_the_same_instant_whatever_the_server_zone(
    server_timezone: str,
    org: OrgConfig,
    session_factory: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
) -> None:
    scheduler = build_scheduler(session_factory, org, clock, default_handlers())
    scheduler.start(paused=True)
    try:
        job = scheduler.get_job("reminder")
        assert job is not None and job.next_run_time is not None
        # 10:30 local on the next day whose 10:30 is still ahead of the real wall clock
        local = job.next_run_time.astimezone(org.tz)
        assert (local.hour, local.minute) == (10, 30)
    finally:
        scheduler.shutdown(wait=False)


def test_midnight_in_ho_chi_minh_city_starts_the_next_period(
    server_timezone: str, org: OrgConfig
) -> None:
    reminder = find_spec(org, "reminder")
    assert reminder is not None
    before = datetime(2026, 11, 21, 16, 59, tzinfo=UTC)  # 23:59 on the 21st
    after = datetime(2026, 11, 21, 17, 5, tzinfo=UTC)  # 00:05 on the 22nd
    assert period_for(reminder, before) == "2026-11-21"
    assert period_for(reminder, after) == "2026-11-22"
    # Reports cover the previous day: at 00:05 on the 22nd they are for the 21st.
    assert default_business_date(org, after) == datetime(2026, 11, 21).date()
    assert default_business_date(org, before) == datetime(2026, 11, 20).date()
