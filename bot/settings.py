"""Deployment settings from the environment. Business configuration lives in the org file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PUBLIC_API_URL = "https://api.telegram.org"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./opsbot.db"
_TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,}$")
# What Telegram accepts as a webhook's secret_token.
_WEBHOOK_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class SettingsError(Exception):
    """A configuration problem explained in one line, shown to the operator without a traceback."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    telegram_api_url: str = PUBLIC_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    opsbot_org: Path | None = None
    log_level: str = Field(default="INFO")
    # Messages per second to all chats together: Telegram allows about 30 (more with paid
    # broadcasts). The per-chat limits are Telegram's and not configurable.
    opsbot_send_rate: int = Field(default=30, ge=1, le=1000)
    # Seconds a sender keeps a claimed batch hidden from other senders (and after a crash).
    opsbot_outbox_lease: float = Field(default=60.0, ge=1.0, le=3600.0)
    # Seconds the outbox sender's leadership lasts without renewal: a dead leader is replaced
    # by another process within this time.
    opsbot_leader_lease: float = Field(default=10.0, ge=1.0, le=300.0)
    # PostgreSQL connections each process keeps open: at least the updates it handles at once.
    opsbot_db_pool_size: int = Field(default=20, ge=1, le=500)
    # text: one readable line per record; json: one JSON object per line (log collectors).
    log_format: Literal["text", "json"] = "text"
    # The HTTP ingest API (bot/api) is served by `opsbot run` only when a port is set.
    opsbot_http_port: int | None = Field(default=None, ge=1, le=65535)
    opsbot_http_host: str = "127.0.0.1"
    # polling: one process takes updates with getUpdates. webhook: Telegram POSTs them to
    # /telegram/webhook of the HTTP app (OPSBOT_HTTP_PORT), possibly of several processes.
    opsbot_mode: Literal["polling", "webhook"] = "polling"
    # The secret_token given to setWebhook; every delivery must carry it.
    webhook_secret: SecretStr | None = None
    # Seconds a webhook worker keeps answering 503 (readyz and new deliveries) after SIGTERM,
    # before it closes its port: the proxy and the orchestrator see it leave.
    opsbot_drain_seconds: float = Field(default=2.0, ge=0.0, le=60.0)

    @field_validator("telegram_api_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("TELEGRAM_API_URL must start with http:// or https://")
        return value

    @field_validator("log_level")
    @classmethod
    def _upper_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    def require_token(self) -> str:
        """The bot token, or a one-line explanation of what is wrong with it."""
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise SettingsError(
                "BOT_TOKEN is not set: export BOT_TOKEN=123456789:AA... (from @BotFather), "
                "or run `opsbot demo` to try the bot offline"
            )
        token = self.bot_token.get_secret_value().strip()
        if not _TOKEN_RE.match(token):
            raise SettingsError(
                "BOT_TOKEN is malformed: expected <digits>:<secret> such as 123456789:AAE-example"
            )
        return token

    def require_webhook(self) -> str:
        """The webhook secret, checked with everything webhook mode needs (one line otherwise)."""
        secret = self.webhook_secret.get_secret_value().strip() if self.webhook_secret else ""
        if not secret:
            raise SettingsError(
                "WEBHOOK_SECRET is not set: webhook mode needs it (1-256 characters A-Z, a-z, "
                "0-9, _ and -), e.g. WEBHOOK_SECRET=$(openssl rand -hex 32)"
            )
        if not _WEBHOOK_SECRET_RE.match(secret):
            raise SettingsError(
                "WEBHOOK_SECRET is malformed: use 1-256 characters A-Z, a-z, 0-9, _ and -"
            )
        return secret

    def require_webhook_mode(self) -> str:
        """The webhook secret when running in webhook mode, which also needs the HTTP port."""
        secret = self.require_webhook()
        if self.opsbot_http_port is None:
            raise SettingsError(
                "OPSBOT_HTTP_PORT is not set: webhook mode serves POST /telegram/webhook on it, "
                "e.g. OPSBOT_HTTP_PORT=8080"
            )
        return secret


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning validation errors into a single readable line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]).upper() or "settings"
        raise SettingsError(f"{field}: {first['msg']}") from None
