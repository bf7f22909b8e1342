"""Test data: the demo org synced into a database, and members added directly (no chat)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.org.loader import load_org
from bot.org.schema import OrgConfig
from bot.org.sync import sync_org
from storage.models import Member
from storage.repositories import catalog, members

DEMO_ORG_FILE = Path(__file__).resolve().parents[2] / "examples" / "demo-org.yaml"


def demo_org() -> OrgConfig:
    return load_org(DEMO_ORG_FILE)


async def sync_demo_org(session: AsyncSession) -> OrgConfig:
    org = demo_org()
    await sync_org(session, org)
    return org


async def add_person(
    session: AsyncSession,
    telegram_id: int,
    name: str,
    role: str,
    *,
    department: str | None = None,
    stores: Iterable[str] = (),
    locale: str = "vi",
    now: datetime,
) -> Member:
    """A member as if they had redeemed an invite: role, department and stores."""
    department_id = None
    if department is not None:
        found = await catalog.get_department_by_code(session, department)
        assert found is not None, f"no department {department!r}"
        department_id = found.id
    member = await members.add_member(
        session,
        Member(
            telegram_id=telegram_id,
            full_name=name,
            role=role,
            department_id=department_id,
            locale=locale,
            reachable=True,
            active=True,
            joined_at=now,
        ),
    )
    codes = list(stores)
    if codes:
        found_stores = await catalog.get_stores_by_codes(session, codes)
        assert len(found_stores) == len(codes), f"unknown store among {codes}"
        await members.set_member_stores(session, member.id, [s.id for s in found_stores])
    return member
