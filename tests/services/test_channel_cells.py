"""The brand × channel table of the digest: per brand and platform, GMV, attainment to date and
ROAS equal sums over the seeded stores (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support.people import sync_demo_org

from bot.demo.kpi_data import write_plan, write_report
from bot.domain.periods import month_period
from bot.i18n import Translator
from bot.roles import Role
from bot.services.channels import brand_channel_cells
from bot.services.kpi import all_target, store_set_kpi
from bot.services.scope import Scope
from bot.views.channels import channel_table
from storage.repositories import catalog

NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
SEED = {"HS-SHOPEE": (10e6, 1e6), "HS-TIKTOK": (5e6, 1e6), "TTSG-SHOPEE": (20e6, 4e6)}


async def test_cells_are_sums_of_their_stores(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        org = await sync_demo_org(session)
        for code, (gmv, ads) in SEED.items():
            store = await catalog.get_store_by_code(session, code)
            assert store is not None
            for day in range(1, 21):
                await write_report(
                    session, subject_key=f"store:{store.id}", store_id=store.id, form="growth",
                    day=date(2026, 11, day), values={"gmv": gmv, "orders": 50, "ads_cost": ads},
                    sent_at=datetime(2026, 11, day, 1, tzinfo=UTC) + timedelta(days=1),
                )  # fmt: skip
            if code == "HS-SHOPEE":
                await write_plan(
                    session, store_id=store.id, year=2026, month=11, targets={"gmv": 600e6},
                    now=NOW,
                )  # fmt: skip
        stores = list(await catalog.list_stores(session))
    target = all_target(Scope(Role.BOD, True, tuple(stores), frozenset(), frozenset()), "all")
    assert target is not None
    async with session_factory() as session:
        view = await store_set_kpi(
            session, org, target, month_period(2026, 11), date(2026, 11, 20), now=NOW
        )
    cells = {(c.brand, c.platform): c for c in brand_channel_cells(org, view, stores)}
    sold = {k: c for k, c in cells.items() if c.gmv is not None}
    assert set(sold) == {("HS", "shopee"), ("HS", "tiktok"), ("TTSG", "shopee")}
    hs_shopee = sold[("HS", "shopee")]
    assert hs_shopee.gmv == 200e6 and hs_shopee.roas == 10.0
    assert hs_shopee.attainment == pytest.approx(200e6 / (600e6 * 20 / 30))
    assert sold[("HS", "tiktok")].attainment is None and sold[("HS", "tiktok")].roas == 5.0
    assert sold[("TTSG", "shopee")].gmv == 400e6 and sold[("TTSG", "shopee")].roas == 5.0
    table = channel_table(list(cells.values()), org, "gmv", "01/11 – 20/11", Translator("vi"))
    assert table.brands == ("GDAP", "HS", "TTSG")
    assert table.channels == ("Shopee", "TikTok Shop", "Cửa hàng (POS)")
    hs = table.cells[1]
    assert hs[0] is not None and hs[0].gmv == "200tr" and hs[0].attainment == "50%"
    assert hs[1] is not None and hs[1].attainment == "chưa có KH" and hs[1].roas == "ROAS 5"
    assert hs[2] is None  # HS has no POS store
