"""Job specs from the org file, period keys and fire times in the org timezone."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.org.loader import load_org
from bot.org.schema import OrgConfig
from jobs.registry import (
    JobSpec,
    every_minutes,
    next_fire_time,
    period_for,
    previous_fire_time,
)
from jobs.table import find_spec, job_specs

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(scope="module")
def org() -> OrgConfig:
    return load_org(Path("examples/demo-org.yaml"))


def spec(org: OrgConfig, name: str) -> JobSpec:
    found = find_spec(org, name)
    assert found is not None
    return found


def test_demo_org_has_every_job_in_its_timezone(org: OrgConfig) -> None:
    specs = job_specs(org)
    assert [s.name for s in specs] == [
        "nudge",
        "reminder",
        "escalation",
        "alerts",
        "campaign_alerts",
        "alert_escalation",
        "daily_digest",
        "campaign_closing",
        "order_summary",
        "order_sla",
        "prune_updates",
        "weekly_digest",
        "weekly_praise",
        "monthly_digest",
    ]
    assert {str(s.timezone) for s in specs} == {"Asia/Ho_Chi_Minh"}
    assert [s.cadence for s in specs][-2:] == ["weekly", "monthly"]


def test_nudge_only_when_configured(org: OrgConfig) -> None:
    schedules = org.schedules.model_copy(update={"nudge": None})
    without = org.model_copy(update={"schedules": schedules})
    assert "nudge" not in [s.name for s in job_specs(without)]
    assert len(job_specs(without)) == 13


def test_reminder_fires_at_10_30_local_which_is_03_30_utc(org: OrgConfig) -> None:
    now = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)  # 09:00 local
    fire = next_fire_time(spec(org, "reminder"), now)
    assert fire is not None
    assert fire.astimezone(HCM).replace(tzinfo=None) == datetime(2026, 11, 21, 10, 30)
    assert fire.astimezone(UTC) == datetime(2026, 11, 21, 3, 30, tzinfo=UTC)


def test_weekly_and_monthly_next_fire_times(org: OrgConfig) -> None:
    now = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)  # Saturday
    weekly = next_fire_time(spec(org, "weekly_digest"), now)
    monthly = next_fire_time(spec(org, "monthly_digest"), now)
    assert weekly is not None and monthly is not None
    assert weekly.astimezone(HCM).replace(tzinfo=None) == datetime(2026, 11, 23, 9, 0)  # Monday
    assert monthly.astimezone(HCM).replace(tzinfo=None) == datetime(2026, 12, 1, 9, 0)


def test_period_keys(org: OrgConfig) -> None:
    at = datetime(2026, 11, 21, 10, 30, tzinfo=HCM)
    assert period_for(spec(org, "reminder"), at) == "2026-11-21"
    assert period_for(spec(org, "weekly_digest"), at) == "2026-W47"
    assert period_for(spec(org, "monthly_digest"), at) == "2026-11"
    # naive means local already
    assert period_for(spec(org, "reminder"), datetime(2026, 11, 21, 10, 30)) == "2026-11-21"


def test_period_uses_the_org_timezone_not_utc(org: OrgConfig) -> None:
    # 20:00 UTC on the 21st is already 03:00 on the 22nd in Ho Chi Minh City
    late_utc = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)
    assert period_for(spec(org, "daily_digest"), late_utc) == "2026-11-22"
    # Sunday 30 Nov 20:00 UTC is Monday 1 Dec local: new ISO week and new month
    sunday_utc = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
    assert period_for(spec(org, "weekly_digest"), sunday_utc) == "2026-W49"
    assert period_for(spec(org, "monthly_digest"), sunday_utc) == "2026-12"


def test_iso_week_at_year_boundary(org: OrgConfig) -> None:
    assert period_for(spec(org, "weekly_digest"), datetime(2027, 1, 1, 9, 0)) == "2026-W53"


@pytest.mark.parametrize(
    ("local_now", "expected"),
    [
        (datetime(2026, 11, 21, 11, 0), datetime(2026, 11, 21, 10, 30)),
        (datetime(2026, 11, 21, 10, 30), datetime(2026, 11, 21, 10, 30)),  # due now counts
        (datetime(2026, 11, 21, 10, 29, 59), datetime(2026, 11, 20, 10, 30)),
    ],
)
def test_previous_fire_time_of_reminder(
    org: OrgConfig, local_now: datetime, expected: datetime
) -> None:
    fired = previous_fire_time(spec(org, "reminder"), local_now.replace(tzinfo=HCM))
    assert fired is not None
    assert fired.astimezone(HCM).replace(tzinfo=None) == expected


def test_previous_fire_time_of_weekly_and_monthly(org: OrgConfig) -> None:
    now = datetime(2026, 11, 21, 11, 0, tzinfo=HCM)
    weekly = previous_fire_time(spec(org, "weekly_digest"), now)
    monthly = previous_fire_time(spec(org, "monthly_digest"), now)
    assert weekly is not None and monthly is not None
    assert weekly.astimezone(HCM).replace(tzinfo=None) == datetime(2026, 11, 16, 9, 0)
    assert monthly.astimezone(HCM).replace(tzinfo=None) == datetime(2026, 11, 1, 9, 0)


def test_schedule_times_follow_the_org_file(org: OrgConfig) -> None:
    schedules = org.schedules.model_copy(update={"reminder": time(8, 5), "nudge": None})
    changed = org.model_copy(update={"schedules": schedules})
    now = datetime(2026, 11, 21, 0, 0, tzinfo=HCM)
    fire = next_fire_time(spec(changed, "reminder"), now)
    assert fire is not None and fire.astimezone(HCM).time() == time(8, 5)


def test_interval_jobs_fire_on_the_clock_and_key_each_slot() -> None:
    every_quarter = every_minutes("sla", 15, HCM)
    at = datetime(2026, 11, 21, 10, 7, tzinfo=HCM)
    assert next_fire_time(every_quarter, at) == datetime(2026, 11, 21, 10, 15, tzinfo=HCM)
    assert previous_fire_time(every_quarter, at) == datetime(2026, 11, 21, 10, 0, tzinfo=HCM)
    assert period_for(every_quarter, datetime(2026, 11, 21, 3, 15, tzinfo=UTC)) == (
        "2026-11-21T10:15"
    )
    with pytest.raises(ValueError, match="divide 60"):
        every_minutes("odd", 7, HCM)
