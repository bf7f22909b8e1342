"""`opsbot invite`: an admin-level invite created from the command line."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.app import DEFAULT_TIMEZONE, create_bot
from bot.clock import SystemClock
from bot.roles import Role
from bot.services.onboarding import InviteRequest, OnboardingError, create_invite, deep_link
from bot.settings import Settings, SettingsError
from storage.database import open_database


async def _bot_username(settings: Settings) -> str:
    bot = create_bot(settings.require_token(), settings.telegram_api_url)
    try:
        me = await bot.get_me()
    finally:
        await bot.session.close()
    return me.username or "<bot>"


async def create_invite_from_cli(
    settings: Settings,
    *,
    role: Role,
    department: str | None,
    store_codes: tuple[str, ...],
    bot_username: str | None,
    database_url: str | None,
) -> tuple[str, str, str]:
    username = bot_username or await _bot_username(settings)
    database = await open_database(database_url or settings.database_url)
    try:
        async with database.session_factory() as session, session.begin():
            request = InviteRequest(role=role, department_code=department, store_codes=store_codes)
            invite = await create_invite(session, request, inviter=None, now=SystemClock().now())
    except OnboardingError as refusal:
        from bot.i18n import Translator

        raise SettingsError(Translator("en")(refusal.key, **refusal.params)) from None
    finally:
        await database.close()
    expires = invite.expires_at.astimezone(ZoneInfo(DEFAULT_TIMEZONE)).isoformat(timespec="minutes")
    return deep_link(username, invite.token), invite.token, expires
