"""`opsbot jobs list` and `opsbot jobs run` against a temporary SQLite database."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from jobs.cli import jobs_app

DEMO_ORG = Path("examples/demo-org.yaml").resolve()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'jobs.db'}",
        "OPSBOT_ORG": str(DEMO_ORG),
    }


def test_run_twice_for_one_period_says_already_ran(env: dict[str, str]) -> None:
    runner = CliRunner()
    args = ["run", "reminder", "--at", "2026-11-21T10:30:00+07:00"]
    first = runner.invoke(jobs_app, args, env=env)
    assert first.exit_code == 0, first.output
    assert "reminder: done for 2026-11-21" in first.output
    assert "reminder(s) queued" in first.output

    second = runner.invoke(jobs_app, args, env=env)
    assert second.exit_code == 0, second.output
    assert second.output.strip() == "reminder: already ran for 2026-11-21"


def test_naive_at_is_read_in_the_org_timezone(env: dict[str, str]) -> None:
    # 2026-11-21 23:30 UTC would be the 22nd in Ho Chi Minh City; a naive time is local already
    result = CliRunner().invoke(
        jobs_app, ["run", "daily_digest", "--at", "2026-11-21T23:30"], env=env
    )
    assert result.exit_code == 0, result.output
    assert "for 2026-11-21" in result.output
    utc = CliRunner().invoke(
        jobs_app, ["run", "daily_digest", "--at", "2026-11-21T23:30+00:00"], env=env
    )
    assert "for 2026-11-22" in utc.output


def test_list_shows_jobs_next_fire_times_and_last_runs(env: dict[str, str]) -> None:
    runner = CliRunner()
    runner.invoke(jobs_app, ["run", "reminder", "--at", "2026-11-20T10:30:00+07:00"], env=env)
    runner.invoke(jobs_app, ["run", "reminder", "--at", "2026-11-21T10:30:00+07:00"], env=env)
    result = runner.invoke(jobs_app, ["list"], env=env)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for name in ("nudge", "reminder", "escalation", "daily_digest", "weekly_digest"):
        assert any(line.startswith(name) for line in lines), result.output
    reminder = next(i for i, line in enumerate(lines) if line.startswith("reminder"))
    assert "10:30" in lines[reminder] and "Asia/Ho_Chi_Minh" in lines[reminder]
    # newest run first, then the older one
    assert "2026-11-21" in lines[reminder + 1] and "done" in lines[reminder + 1]
    assert "2026-11-20" in lines[reminder + 2]
    assert "no runs yet" in result.output  # the other jobs


def test_unknown_job_is_one_line_and_exit_2(env: dict[str, str]) -> None:
    result = CliRunner().invoke(jobs_app, ["run", "remind"], env=env)
    assert result.exit_code == 2
    assert "unknown job 'remind'" in result.output
    assert "Traceback" not in result.output


def test_bad_at_is_one_line_and_exit_2(env: dict[str, str]) -> None:
    result = CliRunner().invoke(jobs_app, ["run", "reminder", "--at", "tomorrow"], env=env)
    assert result.exit_code == 2
    assert "--at must be an ISO time" in result.output


def test_missing_org_setting_and_broken_org_file(env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    no_org = runner.invoke(jobs_app, ["list"], env={**env, "OPSBOT_ORG": ""})
    assert no_org.exit_code == 2 and "OPSBOT_ORG" in no_org.output

    broken = tmp_path / "org.yaml"
    broken.write_text("name: X\nschedules:\n  reminder: '25:00'\n", encoding="utf-8")
    bad = runner.invoke(jobs_app, ["list"], env={**env, "OPSBOT_ORG": str(broken)})
    assert bad.exit_code == 2 and "25:00" in bad.output and "opsbot org check" in bad.output
    assert len(bad.output.strip().splitlines()) == 1

    bad_level = runner.invoke(jobs_app, ["list"], env={**env, "LOG_LEVEL": "LOUD"})
    assert bad_level.exit_code == 2 and "LOG_LEVEL" in bad_level.output
