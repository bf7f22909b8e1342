"""Who sees what: staff their stores and themselves, managers their department, bod everything."""

from __future__ import annotations

from support.people import add_person, sync_demo_org

from bot.clock import FrozenClock
from bot.services.scope import scope_of
from storage.database import Database


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
