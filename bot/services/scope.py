"""What a member may see: stores, people and departments (the single source for every view).

staff: their own stores and their own output; manager: their department's stores and people;
bod and admin: everything. Out-of-scope things are treated as not existing ("not found").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.search import Candidate
from bot.roles import Role
from storage.models import Brand, Member, Store
from storage.repositories import catalog, members


@dataclass(frozen=True)
class Scope:
    role: Role
    everything: bool
    stores: tuple[Store, ...]  # active stores in scope, ordered by code
    member_ids: frozenset[int]  # people whose own output is in scope (empty + everything: all)
    department_ids: frozenset[int]  # departments in scope (empty + everything: all)

    @cached_property
    def store_ids(self) -> frozenset[int]:
        return frozenset(store.id for store in self.stores)

    @cached_property
    def store_codes(self) -> frozenset[str]:
        return frozenset(store.code for store in self.stores)

    @cached_property
    def brand_stores(self) -> tuple[tuple[Brand, tuple[Store, ...]], ...]:
        """Brands with at least one store in scope, by code, each with only those stores."""
        by_brand: dict[int, list[Store]] = {}
        brands: dict[int, Brand] = {}
        for store in self.stores:
            by_brand.setdefault(store.brand_id, []).append(store)
            brands[store.brand_id] = store.brand
        ordered = sorted(brands.values(), key=lambda b: b.code)
        return tuple((brand, tuple(by_brand[brand.id])) for brand in ordered)

    @cached_property
    def search_candidates(self) -> tuple[Candidate, ...]:
        """The stores and brands in scope, as what a typed name is searched among."""
        stores = [Candidate("store", s.id, s.code, s.name) for s in self.stores]
        brands = [Candidate("brand", b.id, b.code, b.name) for b, _ in self.brand_stores]
        return (*stores, *brands)

    def sees_store(self, store_id: int) -> bool:
        return store_id in self.store_ids

    def sees_member(self, member_id: int) -> bool:
        return self.everything or member_id in self.member_ids

    def sees_department(self, department_id: int | None) -> bool:
        return self.everything or department_id in self.department_ids


class StoreCatalog:
    """All active stores (with their brands), kept between updates for the members who see
    everything, and read again when the catalogue version in the database has moved.

    Loading 500 stores as ORM objects costs ~8 ms of CPU on the event loop; the version check is
    one tiny query. The kept objects are detached from their session and only read. The scope
    of those who see everything is kept with them, and so is what it computes once (brands,
    search candidates): every /kpi of the board walked 500 stores for the same answer.
    """

    def __init__(self) -> None:
        self._version: int | None = None
        self._stores: tuple[Store, ...] = ()
        self._scopes: dict[Role, Scope] = {}

    async def everything(self, session: AsyncSession, role: Role) -> Scope:
        stores = await self.active_stores(session)
        scope = self._scopes.get(role)
        if scope is None or scope.stores is not stores:
            scope = self._scopes[role] = Scope(role, True, stores, frozenset(), frozenset())
        return scope

    async def active_stores(self, session: AsyncSession) -> tuple[Store, ...]:
        version = await catalog.catalog_version(session)
        if version != self._version:
            stores = tuple(await catalog.list_stores(session))
            for store in stores:  # out of the session: its rollback must not expire them
                session.expunge(store)
            for brand in {store.brand.id: store.brand for store in stores}.values():
                if brand in session:
                    session.expunge(brand)
            self._stores, self._version = stores, version
        return self._stores


async def scope_of(
    session: AsyncSession, member: Member, stores_catalog: StoreCatalog | None = None
) -> Scope:
    role = Role(member.role)
    if role in (Role.BOD, Role.ADMIN):
        if stores_catalog is not None:
            return await stores_catalog.everything(session, role)
        stores = await catalog.list_stores(session)
        return Scope(role, True, tuple(stores), frozenset(), frozenset())
    if role is Role.MANAGER and member.department_id is not None:
        stores = await catalog.list_stores(session, department_id=member.department_id)
        people = await members.list_members(session, department_id=member.department_id)
        own = await members.member_stores(session, member.id)
        merged = {store.id: store for store in (*stores, *own) if store.active}
        return Scope(
            role,
            False,
            tuple(sorted(merged.values(), key=lambda s: s.code)),
            frozenset({member.id, *(p.id for p in people)}),
            frozenset({member.department_id}),
        )
    # Staff see no department-wide view, only their stores and themselves.
    own = [store for store in await members.member_stores(session, member.id) if store.active]
    return Scope(role, False, tuple(own), frozenset({member.id}), frozenset())


async def everything_scope(session: AsyncSession) -> Scope:
    """Everything, for work done on nobody's behalf (the command line, digests)."""
    stores = await catalog.list_stores(session)
    return Scope(Role.ADMIN, True, tuple(stores), frozenset(), frozenset())
