import logging
import subprocess
import sys

import pytest

from bot.logs import RedactSecrets
from bot.settings import PUBLIC_API_URL, SettingsError, load_settings

GOOD_TOKEN = "123456789:AAE-abcdefghijklmnopqrstuvwxyz_012"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for name in ("BOT_TOKEN", "TELEGRAM_API_URL", "DATABASE_URL", "OPSBOT_ORG", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env file


def test_defaults() -> None:
    settings = load_settings()
    assert settings.telegram_api_url == PUBLIC_API_URL
    assert settings.database_url == "sqlite+aiosqlite:///./opsbot.db"
    assert settings.opsbot_org is None
    assert settings.log_level == "INFO"


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:8081/")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    settings = load_settings()
    assert settings.require_token() == GOOD_TOKEN
    assert settings.telegram_api_url == "http://127.0.0.1:8081"
    assert settings.log_level == "DEBUG"
    assert GOOD_TOKEN not in repr(settings)


@pytest.mark.parametrize(
    "token", ["", "   ", "abc", "123:short", "notdigits:AAE-abcdefghijklmnopqrstuvwxyz"]
)
def test_bad_token_is_one_clear_error(monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    monkeypatch.setenv("BOT_TOKEN", token)
    with pytest.raises(SettingsError) as exc:
        load_settings().require_token()
    assert "BOT_TOKEN" in str(exc.value)
    assert "\n" not in str(exc.value)


def test_bad_url_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_API_URL", "ftp://example")
    with pytest.raises(SettingsError, match="TELEGRAM_API_URL"):
        load_settings()


@pytest.mark.parametrize("token", [None, "malformed"])
def test_run_without_valid_token_prints_one_line(tmp_path, token: str | None) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    if token is not None:
        env["BOT_TOKEN"] = token
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "BOT_TOKEN" in lines[0]
    assert "Traceback" not in result.stderr


def test_secrets_are_scrubbed_from_logs(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redact")
    logger.addFilter(RedactSecrets([GOOD_TOKEN]))
    with caplog.at_level(logging.INFO, logger="test.redact"):
        logger.info("GET https://api.telegram.org/bot%s/getMe failed", GOOD_TOKEN)
    assert GOOD_TOKEN not in caplog.text
    assert "/bot***/getMe" in caplog.text
