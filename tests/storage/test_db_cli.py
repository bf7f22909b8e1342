"""`opsbot db upgrade` / `opsbot db current`."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from storage.cli import db_app
from storage.migrate import head_revision

runner = CliRunner()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DATABASE_URL", "LOG_LEVEL", "TELEGRAM_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env, and the default ./opsbot.db lands here


def test_upgrade_then_current(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"

    before = runner.invoke(db_app, ["current", "--database-url", url])
    assert before.exit_code == 0, before.output
    assert before.output.startswith("none (head is")

    first = runner.invoke(db_app, ["upgrade", "--database-url", url])
    assert first.exit_code == 0, first.output
    assert f"upgraded empty -> {head_revision()}" in first.output

    again = runner.invoke(db_app, ["upgrade", "--database-url", url])
    assert again.exit_code == 0, again.output
    assert "already at" in again.output

    after = runner.invoke(db_app, ["current", "--database-url", url])
    assert after.exit_code == 0
    assert after.output.strip() == f"{head_revision()} (head)"


def test_default_url_comes_from_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'env.db'}")

    result = runner.invoke(db_app, ["upgrade"])

    assert result.exit_code == 0, result.output
    assert (tmp_path / "env.db").exists()


def test_bad_settings_are_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "loud")

    result = runner.invoke(db_app, ["current"])

    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert result.output.startswith("error: LOG_LEVEL")


def test_unusable_database_is_one_line_without_password() -> None:
    url = "postgresql+asyncpg://opsbot:s3cret@127.0.0.1:1/opsbot"

    result = runner.invoke(db_app, ["upgrade", "--database-url", url])

    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0
    assert "s3cret" not in result.output
    assert result.output.startswith("error: cannot use database")


def test_malformed_url_exits_2() -> None:
    result = runner.invoke(db_app, ["current", "--database-url", "not a url"])

    assert result.exit_code == 2
    assert "not a valid database URL" in result.output
