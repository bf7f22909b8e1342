"""Invites and registration: members join only through a single-use, expiring invite."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.roles import Role, roles_invitable_by
from storage.models import Department, Invite, Member
from storage.repositories import catalog, members

INVITE_TTL = timedelta(days=7)
ROLES_WITH_DEPARTMENT = frozenset({Role.STAFF, Role.MANAGER})


class OnboardingError(Exception):
    """A refusal the user must see; `key` is an i18n key, `params` fill its placeholders."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class InviteRequest:
    role: Role
    department_code: str | None = None
    store_codes: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class NewMember:
    telegram_id: int
    full_name: str
    username: str | None
    locale: str


def deep_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={token}"


def request_from_line(args: str) -> InviteRequest | None:
    """``staff growth HS-SHOPEE,HS-TIKTOK``: role, then department and store codes if given.
    None when the first word is not a role."""
    parts = args.split()
    try:
        role = Role(parts[0].lower())
    except (IndexError, ValueError):
        return None
    department = parts[1] if len(parts) > 1 else None
    stores = tuple(c.strip() for c in parts[2].split(",") if c.strip()) if len(parts) > 2 else ()
    return InviteRequest(role=role, department_code=department, store_codes=stores)


# --- what the invite form offers ---------------------------------------------------------------


async def departments(session: AsyncSession) -> Sequence[Department]:
    """The active departments, by code."""
    return await catalog.list_departments(session)


async def active_department(session: AsyncSession, code: str) -> Department | None:
    department = await catalog.get_department_by_code(session, code)
    return department if department is not None and department.active else None


async def department_store_codes(session: AsyncSession, department_code: str) -> list[str]:
    """The codes of the department's active stores (none for an unknown department)."""
    department = await catalog.get_department_by_code(session, department_code)
    if department is None:
        return []
    return [s.code for s in await catalog.list_stores(session, department_id=department.id)]


async def department_of(session: AsyncSession, invite: Invite) -> Department | None:
    if invite.department_id is None:
        return None
    return await catalog.get_department(session, invite.department_id)


async def create_invite(
    session: AsyncSession,
    request: InviteRequest,
    *,
    inviter: Member | None,
    now: datetime,
    ttl: timedelta = INVITE_TTL,
) -> Invite:
    """Validate the request against the inviter's scope and store a fresh invite.

    `inviter=None` is the command line, which has admin rights.
    """
    inviter_role = Role(inviter.role) if inviter else Role.ADMIN
    if request.role not in roles_invitable_by(inviter_role):
        raise OnboardingError("invite.error.role_not_allowed", role=request.role.value)
    department_code = _department_in_scope(request, inviter)
    department_id = await _resolve_department(session, request.role, department_code)
    await _check_stores(session, request.store_codes, department_id)
    invite = Invite(
        token=secrets.token_urlsafe(16),
        role=request.role.value,
        department_id=department_id,
        store_codes=list(request.store_codes),
        created_by_id=inviter.id if inviter else None,
        created_at=now,
        expires_at=now + ttl,
    )
    return await members.add_invite(session, invite)


def _department_in_scope(request: InviteRequest, inviter: Member | None) -> str | None:
    if inviter is None or Role(inviter.role) is Role.ADMIN:
        return request.department_code
    own = inviter.department.code if inviter.department else None
    if request.department_code and request.department_code != own:
        raise OnboardingError("invite.error.department_out_of_scope", department=own or "-")
    return own


async def _resolve_department(
    session: AsyncSession, role: Role, department_code: str | None
) -> int | None:
    if department_code is None:
        if role in ROLES_WITH_DEPARTMENT:
            raise OnboardingError("invite.error.department_required")
        return None
    department = await catalog.get_department_by_code(session, department_code)
    if department is None or not department.active:
        known = ", ".join(d.code for d in await catalog.list_departments(session))
        raise OnboardingError("invite.error.unknown_department", code=department_code, known=known)
    return department.id


async def _check_stores(
    session: AsyncSession, codes: tuple[str, ...], department_id: int | None
) -> None:
    if not codes:
        return
    found = {s.code: s for s in await catalog.get_stores_by_codes(session, codes) if s.active}
    missing = [code for code in codes if code not in found]
    if missing:
        raise OnboardingError("invite.error.unknown_stores", codes=", ".join(missing))
    foreign = [c for c, s in found.items() if department_id and s.department_id != department_id]
    if foreign:
        raise OnboardingError("invite.error.stores_out_of_scope", codes=", ".join(foreign))


async def redeem_invite(
    session: AsyncSession, token: str, person: NewMember, *, now: datetime
) -> Member:
    """Register `person` with the invite's role, department and stores (single use)."""
    if await members.get_member_by_telegram_id(session, person.telegram_id) is not None:
        raise OnboardingError("invite.error.already_member")
    invite = await members.get_invite_by_token(session, token)
    if invite is None:
        raise OnboardingError("invite.error.unknown")
    if invite.used_at is not None:
        raise OnboardingError("invite.error.used")
    if invite.expires_at <= now:
        raise OnboardingError("invite.error.expired")
    if not await members.claim_invite(session, invite.id, telegram_id=person.telegram_id, now=now):
        raise OnboardingError("invite.error.used")
    member = await members.add_member(
        session,
        Member(
            telegram_id=person.telegram_id,
            full_name=person.full_name,
            username=person.username,
            role=invite.role,
            department_id=invite.department_id,
            locale=person.locale,
            reachable=True,
            active=True,
            joined_at=now,
            invite_id=invite.id,
        ),
    )
    stores = await catalog.get_stores_by_codes(session, invite.store_codes)
    await members.set_member_stores(session, member.id, [s.id for s in stores if s.active])
    await session.refresh(member, ["department"])
    return member
