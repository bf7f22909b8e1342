"""Organisation catalogue: departments, brands, stores. The caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Brand, CatalogVersion, Department, Store
from storage.repositories import rollups

CATALOG_VERSION_ROW = 1


async def catalog_version(session: AsyncSession) -> int:
    """The number that changes with every change of a brand or store (0 before any)."""
    version = await session.scalar(
        select(CatalogVersion.version).where(CatalogVersion.id == CATALOG_VERSION_ROW)
    )
    return version or 0


async def bump_catalog_version(session: AsyncSession) -> None:
    bumped = await session.execute(
        update(CatalogVersion)
        .where(CatalogVersion.id == CATALOG_VERSION_ROW)
        .values(version=CatalogVersion.version + 1)
    )
    if not getattr(bumped, "rowcount", 0):
        session.add(CatalogVersion(id=CATALOG_VERSION_ROW, version=1))
        await session.flush()


async def get_department_by_code(session: AsyncSession, code: str) -> Department | None:
    return await session.scalar(select(Department).where(Department.code == code))


async def get_department(session: AsyncSession, department_id: int) -> Department | None:
    return await session.get(Department, department_id)


async def list_departments(
    session: AsyncSession, *, active_only: bool = True
) -> Sequence[Department]:
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


async def list_stores(
    session: AsyncSession, *, active_only: bool = True, department_id: int | None = None
) -> Sequence[Store]:
    query = select(Store).order_by(Store.code)
    if active_only:
        query = query.where(Store.active.is_(True))
    if department_id is not None:
        query = query.where(Store.department_id == department_id)
    return (await session.scalars(query)).all()


async def active_store_brand_codes(session: AsyncSession) -> list[tuple[str, str]]:
    """(store code, brand code) of every active store, as plain rows: what a campaign's
    brands expand to, without loading 500 stores as objects."""
    stores, brands = Store.__table__.c, Brand.__table__.c
    rows = await session.execute(
        select(stores.code, brands.code)
        .join_from(Store.__table__, Brand.__table__, stores.brand_id == brands.id)
        .where(stores.active.is_(True))
        .order_by(stores.code)
    )
    return [(store, brand) for store, brand in rows.all()]


async def find_active_store(session: AsyncSession, code: str) -> Store | None:
    """An active store by code, whatever the case the user typed it in."""
    return await session.scalar(
        select(Store).where(func.lower(Store.code) == code.lower(), Store.active.is_(True))
    )


async def list_brands(session: AsyncSession, *, active_only: bool = True) -> Sequence[Brand]:
    query = select(Brand).order_by(Brand.code)
    if active_only:
        query = query.where(Brand.active.is_(True))
    return (await session.scalars(query)).all()


# --- writes (used by `opsbot org load`); rows are never deleted, only deactivated ---

UpsertOutcome = Literal["added", "updated", "reactivated", "unchanged"]


async def get_brand_by_code(session: AsyncSession, code: str) -> Brand | None:
    return await session.scalar(select(Brand).where(Brand.code == code))


async def get_store_by_code(session: AsyncSession, code: str) -> Store | None:
    return await session.scalar(select(Store).where(Store.code == code))


def _apply(row: Department | Brand | Store, values: dict[str, Any]) -> UpsertOutcome:
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    if not row.active:
        row.active = True
        return "reactivated"
    return "updated" if changed else "unchanged"


async def upsert_department(
    session: AsyncSession, *, code: str, name_vi: str, name_en: str
) -> tuple[Department, UpsertOutcome]:
    row = await get_department_by_code(session, code)
    if row is None:
        row = Department(code=code, name_vi=name_vi, name_en=name_en, active=True)
        session.add(row)
        await session.flush()
        return row, "added"
    outcome = _apply(row, {"name_vi": name_vi, "name_en": name_en})
    await session.flush()
    return row, outcome


async def upsert_brand(
    session: AsyncSession, *, code: str, name: str
) -> tuple[Brand, UpsertOutcome]:
    row = await get_brand_by_code(session, code)
    if row is None:
        row = Brand(code=code, name=name, active=True)
        session.add(row)
        await session.flush()
        await bump_catalog_version(session)
        return row, "added"
    outcome = _apply(row, {"name": name})
    await session.flush()
    if outcome != "unchanged":
        await bump_catalog_version(session)
    return row, outcome


async def upsert_store(
    session: AsyncSession,
    *,
    code: str,
    name: str,
    platform: str,
    brand_id: int,
    department_id: int | None,
) -> tuple[Store, UpsertOutcome]:
    row = await get_store_by_code(session, code)
    if row is None:
        row = Store(
            code=code,
            name=name,
            platform=platform,
            brand_id=brand_id,
            department_id=department_id,
            active=True,
        )
        session.add(row)
        await session.flush()
        await bump_catalog_version(session)
        return row, "added"
    brand_changed = row.brand_id != brand_id
    moved = (
        [(row.brand_id, row.platform), (brand_id, platform)]
        if brand_changed or (row.platform != platform)
        else []
    )
    outcome = _apply(
        row,
        {"name": name, "platform": platform, "brand_id": brand_id, "department_id": department_id},
    )
    if brand_changed:
        # Keep the eagerly loaded relationship in step with the new foreign key.
        brand = await session.get(Brand, brand_id)
        if brand is not None:
            row.brand = brand
    await session.flush()
    if moved:
        await rollups.rebuild_groups(session, moved)
    if outcome != "unchanged":
        await bump_catalog_version(session)
    return row, outcome


_Row = TypeVar("_Row", Department, Brand, Store)


async def _deactivate_except(
    session: AsyncSession, model: type[_Row], codes: Iterable[str]
) -> list[str]:
    keep = set(codes)
    query = select(model).where(model.active.is_(True)).order_by(model.code)
    rows = [row for row in (await session.scalars(query)).all() if row.code not in keep]
    for row in rows:
        row.active = False
    await session.flush()
    if rows and model is not Department:
        await bump_catalog_version(session)
    return [row.code for row in rows]


async def deactivate_departments_except(session: AsyncSession, codes: Iterable[str]) -> list[str]:
    """Deactivate every active department whose code is not in ``codes``; returns their codes."""
    return await _deactivate_except(session, Department, codes)


async def deactivate_brands_except(session: AsyncSession, codes: Iterable[str]) -> list[str]:
    return await _deactivate_except(session, Brand, codes)


async def deactivate_stores_except(session: AsyncSession, codes: Iterable[str]) -> list[str]:
    return await _deactivate_except(session, Store, codes)
