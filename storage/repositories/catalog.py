"""Organisation catalogue: departments, brands, stores. The caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Brand, Department, Store


async def get_department_by_code(session: AsyncSession, code: str) -> Department | None:
    return await session.scalar(select(Department).where(Department.code == code))


async def list_departments(session: AsyncSession, *, active_only: bool = True) -> Sequence[Department]:
    query = select(Department).order_by(Department.code)
    if active_only:
        query = query.where(Department.active.is_(True))
    return (await session.scalars(query)).all()


async def get_stores_by_codes(session: AsyncSession, codes: Iterable[str]) -> Sequence[Store]:
    wanted = list(dict.fromkeys(codes))
    if not wanted:
        return []
    query = select(Store).where(Store.code.in_(wanted)).order_by(Store.code)
    return (await session.scalars(query)).all()


async def list_stores(session: AsyncSession, *, active_only: bool = True) -> Sequence[Store]:
    query = select(Store).order_by(Store.code)
    if active_only:
        query = query.where(Store.active.is_(True))
    return (await session.scalars(query)).all()


async def list_brands(session: AsyncSession, *, active_only: bool = True) -> Sequence[Brand]:
    query = select(Brand).order_by(Brand.code)
    if active_only:
        query = query.where(Brand.active.is_(True))
    return (await session.scalars(query)).all()
