"""Who sees what: staff their stores and themselves, managers their department, bod everything."""

from __future__ import annotations

from support.people import add_person, sync_demo_org

from bot.clock import FrozenClock
from bot.services.scope import StoreCatalog, scope_of
from storage.database import Database
from storage.repositories import catalog


async def test_scope_by_role(db: Database, clock: FrozenClock) -> None:
    now = clock.now()
    async with db.session_factory() as session, session.begin():
        await sync_demo_org(session)
        staff = await add_person(
            session, 1, "Minh", "staff", department="growth", stores=["HS-SHOPEE"], now=now
        )
        colleague = await add_person(session, 2, "Hạnh", "staff", department="growth", now=now)
        designer = await add_person(session, 3, "Vy", "staff", department="design", now=now)
        manager = await add_person(session, 4, "Tuấn", "manager", department="growth", now=now)
        design_lead = await add_person(session, 5, "Linh", "manager", department="design", now=now)
        bod = await add_person(session, 6, "Bà Hoa", "bod", now=now)

        staff_scope = await scope_of(session, staff)
        manager_scope = await scope_of(session, manager)
        design_scope = await scope_of(session, design_lead)
        bod_scope = await scope_of(session, bod)

    assert [s.code for s in staff_scope.stores] == ["HS-SHOPEE"]
    assert staff_scope.sees_member(staff.id) and not staff_scope.sees_member(colleague.id)
    assert not staff_scope.sees_department(manager.department_id)

    assert len(manager_scope.stores) == 7  # every demo store reports to growth
    assert manager_scope.sees_member(colleague.id) and not manager_scope.sees_member(designer.id)
    assert manager_scope.sees_department(manager.department_id)
    assert not manager_scope.sees_department(designer.department_id)

    assert design_scope.stores == ()
    assert design_scope.sees_member(designer.id) and not design_scope.sees_member(staff.id)

    assert bod_scope.everything and len(bod_scope.stores) == 7
    assert bod_scope.sees_member(designer.id) and bod_scope.sees_department(designer.department_id)


async def test_kept_store_list_is_read_again_only_when_the_catalogue_changes(
    db: Database, clock: FrozenClock
) -> None:
    catalog_of_stores = StoreCatalog()
    async with db.session_factory() as session, session.begin():
        await sync_demo_org(session)
        bod = await add_person(session, 6, "Bà Hoa", "bod", now=clock.now())
    async with db.session_factory() as session:
        first = await scope_of(session, bod, catalog_of_stores)
        await session.rollback()  # what a failed update does: the kept stores must survive it
    async with db.session_factory() as session:
        again = await scope_of(session, bod, catalog_of_stores)
    assert again.stores is first.stores  # nothing changed: not read again
    assert [s.brand.code for s in again.stores][:1] == [first.stores[0].brand.code]

    async with db.session_factory() as session, session.begin():
        store = await catalog.get_store_by_code(session, "HS-SHOPEE")
        assert store is not None
        await catalog.upsert_store(
            session,
            code="HS-SHOPEE",
            name="Hoa Sen Shopee Mall",
            platform=store.platform,
            brand_id=store.brand_id,
            department_id=store.department_id,
        )
        await catalog.deactivate_stores_except(
            session, [s.code for s in first.stores if s.code != "HS-TIKTOK"]
        )
    async with db.session_factory() as session:
        changed = await scope_of(session, bod, catalog_of_stores)
    names = {s.code: s.name for s in changed.stores}
    assert names["HS-SHOPEE"] == "Hoa Sen Shopee Mall"
    assert "HS-TIKTOK" not in names and len(changed.stores) == len(first.stores) - 1


async def test_loading_the_org_again_unchanged_keeps_the_catalogue_version(db: Database) -> None:
    async with db.session_factory() as session, session.begin():
        await sync_demo_org(session)
        loaded = await catalog.catalog_version(session)
    async with db.session_factory() as session, session.begin():
        await sync_demo_org(session)
        assert await catalog.catalog_version(session) == loaded > 0
