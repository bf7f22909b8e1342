"""Members, their stores, and invites. The caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Invite, Member, MemberStore, Store


async def get_member_by_telegram_id(session: AsyncSession, telegram_id: int) -> Member | None:
    return await session.scalar(
        select(Member).where(Member.telegram_id == telegram_id, Member.active.is_(True))
    )


async def mark_unreachable(session: AsyncSession, telegram_id: int) -> None:
    """The member blocked the bot: nothing proactive is sent to them until they come back."""
    await session.execute(
        update(Member).where(Member.telegram_id == telegram_id).values(reachable=False)
    )


async def managers_or_admins(
    session: AsyncSession, member_id: int, department_id: int | None
) -> list[Member]:
    """Who decides for a member: their department's managers, or the admins when it has none.

    Only active, reachable people other than the member, by id.
    """
    others = (
        select(Member)
        .where(Member.active.is_(True), Member.reachable.is_(True), Member.id != member_id)
        .order_by(Member.id)
    )
    if department_id is not None:
        managers = await session.scalars(
            others.where(Member.role == "manager", Member.department_id == department_id)
        )
        found = list(managers.all())
        if found:
            return found
    admins = await session.scalars(others.where(Member.role == "admin"))
    return list(admins.all())


async def add_member(session: AsyncSession, member: Member) -> Member:
    session.add(member)
    await session.flush()
    return member


async def set_member_stores(
    session: AsyncSession, member_id: int, store_ids: Iterable[int]
) -> None:
    await session.execute(delete(MemberStore).where(MemberStore.member_id == member_id))
    session.add_all(MemberStore(member_id=member_id, store_id=sid) for sid in set(store_ids))
    await session.flush()


async def member_stores(session: AsyncSession, member_id: int) -> Sequence[Store]:
    query = (
        select(Store)
        .join(MemberStore, MemberStore.store_id == Store.id)
        .where(MemberStore.member_id == member_id, Store.active.is_(True))
        .order_by(Store.code)
    )
    return (await session.scalars(query)).all()


async def set_member_locale(session: AsyncSession, member_id: int, locale: str) -> None:
    await session.execute(update(Member).where(Member.id == member_id).values(locale=locale))


async def list_members(
    session: AsyncSession, *, department_id: int | None = None
) -> Sequence[Member]:
    query = select(Member).where(Member.active.is_(True)).order_by(Member.id)
    if department_id is not None:
        query = query.where(Member.department_id == department_id)
    return (await session.scalars(query)).all()


async def add_invite(session: AsyncSession, invite: Invite) -> Invite:
    session.add(invite)
    await session.flush()
    return invite


async def get_invite_by_token(session: AsyncSession, token: str) -> Invite | None:
    return await session.scalar(select(Invite).where(Invite.token == token))


async def claim_invite(
    session: AsyncSession, invite_id: int, *, telegram_id: int, now: datetime
) -> bool:
    """Mark an invite used; False if someone else used it first (single use even under races)."""
    result = await session.execute(
        update(Invite)
        .where(Invite.id == invite_id, Invite.used_at.is_(None))
        .values(used_at=now, used_by_telegram_id=telegram_id)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


async def store_owner_names(
    session: AsyncSession, store_ids: Sequence[int]
) -> dict[int, list[str]]:
    """Names of the active members responsible for each store."""
    if not store_ids:
        return {}
    rows = await session.execute(
        select(MemberStore.store_id, Member.full_name)
        .join(Member, Member.id == MemberStore.member_id)
        .where(MemberStore.store_id.in_(list(store_ids)), Member.active.is_(True))
        .order_by(Member.full_name)
    )
    owners: dict[int, list[str]] = {}
    for store_id, name in rows.all():
        owners.setdefault(store_id, []).append(name)
    return owners
