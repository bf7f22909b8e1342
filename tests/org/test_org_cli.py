"""`opsbot org check` and `opsbot org load` through the command line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from org_helpers import DEMO_ORG, edit, line_number
from typer.testing import CliRunner

from bot.org.cli import org_app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Settings also read ./.env; run where there is none.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPSBOT_ORG", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)


def test_check_ok() -> None:
    result = runner.invoke(org_app, ["check", str(DEMO_ORG)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: 3 brands, 7 stores, 5 departments, ")
    assert "4 order types" in result.stdout


def test_check_reports_file_and_line(demo_text: str, write_org: Callable[[str], Path]) -> None:
    broken = edit(
        demo_text, "    brand: GDAP\n    platform: tiktok", "    brand: GDAPX\n    platform: tiktok"
    )
    broken = edit(broken, 'escalation: "11:00"', 'escalation: "25:00"')
    path = write_org(broken)
    result = runner.invoke(org_app, ["check", str(path)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines == [
        f"{path}:{line_number(broken, 'brand: GDAPX')}: stores[6].brand: unknown brand 'GDAPX' "
        "(hint: did you mean 'GDAP'?)",
        f"{path}:{line_number(broken, 'escalation:')}: schedules.escalation: "
        "hour must be 00-23, got 25 in '25:00'",
    ]
    assert "2 problem(s)" in result.stderr


def test_check_yaml_error(write_org: Callable[[str], Path]) -> None:
    path = write_org("stores:\n  - code: [A\n")
    result = runner.invoke(org_app, ["check", str(path)])
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{path}:3: YAML syntax:")


def test_check_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(org_app, ["check", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "cannot read the file" in result.stdout


def test_check_uses_opsbot_org() -> None:
    result = runner.invoke(org_app, ["check"], env={"OPSBOT_ORG": str(DEMO_ORG)})
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok:")


def test_check_without_any_file() -> None:
    result = runner.invoke(org_app, ["check"])
    assert result.exit_code == 2
    assert "OPSBOT_ORG" in result.stderr


def test_load_twice(tmp_path: Path) -> None:
    url = "sqlite+aiosqlite:///" + str(tmp_path / "cli.db")
    first = runner.invoke(org_app, ["load", str(DEMO_ORG), "--database-url", url])
    assert first.exit_code == 0, first.output
    assert "departments: 5 added" in first.stdout
    assert "stores: 7 added" in first.stdout
    second = runner.invoke(org_app, ["load", str(DEMO_ORG)], env={"DATABASE_URL": url})
    assert second.exit_code == 0, second.output
    assert second.stdout.splitlines()[1:] == [
        "departments: 5 unchanged",
        "brands: 3 unchanged",
        "stores: 7 unchanged",
        "campaigns: 2 unchanged",
    ]


def test_load_refuses_a_broken_file(tmp_path: Path, write_org: Callable[[str], Path]) -> None:
    path = write_org("stores: 3\n")
    url = "sqlite+aiosqlite:///" + str(tmp_path / "cli.db")
    result = runner.invoke(org_app, ["load", str(path), "--database-url", url])
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{path}:1: stores:")
    assert not (tmp_path / "cli.db").exists()


def test_load_reports_settings_errors_in_one_line() -> None:
    result = runner.invoke(org_app, ["load", str(DEMO_ORG)], env={"LOG_LEVEL": "LOUD"})
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: LOG_LEVEL:")


def test_load_reports_database_errors_in_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "missing-dir"
    url = "sqlite+aiosqlite:///" + str(missing / "x.db")
    result = runner.invoke(org_app, ["load", str(DEMO_ORG), "--database-url", url])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: database: folder {missing} does not exist"
    ]
    for url in ("not a url", "nosuchdb://host/db"):
        result = runner.invoke(org_app, ["load", str(DEMO_ORG), "--database-url", url])
        assert result.exit_code == 2
        assert len(result.stderr.strip().splitlines()) == 1
        assert result.stderr.startswith("error: database:")
