"""Loading the org file into the database: idempotent, deactivates instead of deleting."""

from __future__ import annotations

from pathlib import Path

from org_helpers import DEMO_ORG, edit
from sqlalchemy import select

from bot.org.loader import parse_org_text
from bot.org.schema import OrgConfig
from bot.org.sync import SyncReport, sync_org
from storage.database import Database
from storage.models import Brand, Department, Store
from storage.repositories import catalog

GDAP_TIKTOK = """\
  - code: GDAP-TIKTOK
    name: An Phát Home (TikTok Shop)
    brand: GDAP
    platform: tiktok
    department: growth
"""


def org_from(text: str) -> OrgConfig:
    org, problems = parse_org_text(text)
    assert org is not None, problems
    return org


async def load(database: Database, org: OrgConfig) -> SyncReport:
    async with database.session_factory() as session, session.begin():
        return await sync_org(session, org)


async def all_stores(database: Database) -> dict[str, Store]:
    async with database.session_factory() as session:
        rows = await catalog.list_stores(session, active_only=False)
        return {row.code: row for row in rows}


async def test_first_load_adds_everything(org_database: Database) -> None:
    org = org_from(DEMO_ORG.read_text(encoding="utf-8"))
    report = await load(org_database, org)
    assert len(report.departments.added) == 5
    assert report.brands.added == ["HS", "TTSG", "GDAP"]
    assert len(report.stores.added) == 7
    assert report.changed
    stores = await all_stores(org_database)
    shop = stores["HS-SHOPEE"]
    assert (shop.name, shop.platform, shop.brand.code, shop.active) == (
        "Hoa Sen Official Store (Shopee)",
        "shopee",
        "HS",
        True,
    )
    async with org_database.session_factory() as session:
        growth = await catalog.get_department_by_code(session, "growth")
    assert growth is not None
    assert (growth.name_vi, growth.name_en) == ("Tăng trưởng", "Growth")
    assert shop.department_id == growth.id


async def test_second_load_changes_nothing(org_database: Database) -> None:
    org = org_from(DEMO_ORG.read_text(encoding="utf-8"))
    await load(org_database, org)
    report = await load(org_database, org)
    assert not report.changed
    assert report.lines() == [
        "departments: 5 unchanged",
        "brands: 3 unchanged",
        "stores: 7 unchanged",
        "campaigns: 2 unchanged",
    ]


async def test_removed_store_is_deactivated_then_reactivated(
    org_database: Database, demo_text: str
) -> None:
    await load(org_database, org_from(demo_text))
    without = edit(demo_text, GDAP_TIKTOK, "")
    report = await load(org_database, org_from(without))
    assert report.stores.deactivated == ["GDAP-TIKTOK"]
    assert "stores: 1 deactivated, 6 unchanged;" in str(report)
    stores = await all_stores(org_database)
    assert len(stores) == 7
    assert stores["GDAP-TIKTOK"].active is False
    async with org_database.session_factory() as session:
        active = await catalog.list_stores(session)
    assert "GDAP-TIKTOK" not in {s.code for s in active}

    again = await load(org_database, org_from(without))
    assert not again.changed

    back = await load(org_database, org_from(demo_text))
    assert back.stores.reactivated == ["GDAP-TIKTOK"]
    assert (await all_stores(org_database))["GDAP-TIKTOK"].active is True


async def test_changed_store_is_updated(org_database: Database, demo_text: str) -> None:
    await load(org_database, org_from(demo_text))
    moved = edit(
        demo_text,
        GDAP_TIKTOK,
        GDAP_TIKTOK.replace("An Phát Home (TikTok Shop)", "An Phát Home Official")
        .replace("brand: GDAP", "brand: HS")
        .replace("platform: tiktok", "platform: lazada"),
    )
    report = await load(org_database, org_from(moved))
    assert report.stores.updated == ["GDAP-TIKTOK"]
    assert len(report.stores.unchanged) == 6
    store = (await all_stores(org_database))["GDAP-TIKTOK"]
    assert (store.name, store.platform, store.brand.code) == (
        "An Phát Home Official",
        "lazada",
        "HS",
    )


async def test_removed_brand_and_department_are_deactivated_not_deleted(
    org_database: Database, demo_text: str
) -> None:
    await load(org_database, org_from(demo_text))
    text = demo_text.replace("brand: GDAP\n", "brand: HS\n")
    text = edit(text, "  - code: GDAP\n    name: Gia Dụng An Phát\n", "")
    text = edit(text, "  - department: booking\n    per: person\n    metrics: [koc_orders]\n", "")
    text = edit(text, "  - code: booking\n    name: { vi: Booking, en: Booking }\n", "")
    order_start = text.index("  - code: koc_booking")
    order_end = text.index("  - code: live_slot")
    text = text[:order_start] + text[order_end:]
    report = await load(org_database, org_from(text))
    assert report.brands.deactivated == ["GDAP"]
    assert report.departments.deactivated == ["booking"]
    async with org_database.session_factory() as session:
        brands = {b.code: b.active for b in (await session.scalars(select(Brand))).all()}
        departments = {d.code: d.active for d in (await session.scalars(select(Department))).all()}
    assert brands == {"HS": True, "TTSG": True, "GDAP": False}
    assert departments["booking"] is False
    assert len(departments) == 5


async def test_nothing_is_written_if_the_caller_rolls_back(
    org_database: Database, tmp_path: Path
) -> None:
    org = org_from(DEMO_ORG.read_text(encoding="utf-8"))
    async with org_database.session_factory() as session:
        await sync_org(session, org)
        await session.rollback()
    assert await all_stores(org_database) == {}
