"""Forged buttons, part 2: the order form (of), plan import (plan), invites (inv), KPI
navigation (kpi), language (lang) and the /orders tabs (ol). Same rules as part 1: refused
with the stale / invalid answer, every table unchanged."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from support.bot_harness import BotUnderTest
from support.forged import PEOPLE, STALE, Says, T, World, build_world, others, refused

from bot.views.invites import InviteCallback
from bot.views.kpi_buttons import KpiCallback
from bot.views.order_form import OrderFormCallback
from bot.views.order_list import OrdersTabCallback
from bot.views.plans import PlanCallback
from storage.models import Brand, Department

ROLES = ("minh", "tuan", "bao", "lan")  # staff, manager, bod, admin


@pytest.fixture
async def world(app: BotUnderTest, user_factory) -> World:
    users = {name: user_factory(tid, name.capitalize()) for name, (tid, *_) in PEOPLE.items()}
    return await build_world(app, users)


# --- of: the order form ------------------------------------------------------------------------


def of(rid: str, action: str, value: str = "") -> str:
    return OrderFormCallback(rid=rid, action=action, value=value).pack()


async def test_order_form_buttons(world: World) -> None:
    hanh = world.users["hanh"]
    pick = await world.open_form("hanh", "/order")
    banner = pick.callback_data("Thiết kế banner")
    assert banner is not None
    rid = OrderFormCallback.unpack(banner).rid
    await refused(
        world,
        [
            *[(who, banner, STALE) for who in ("minh", "khoa", "bao", "lan")],
            ("hanh", of(rid, "type", "no-such-type"), STALE),
            ("hanh", of("ffffffff", "type", "banner"), STALE),
            ("hanh", of(rid, "val", "0"), STALE),
            ("hanh", of(rid, "submit"), STALE),
        ],
    )
    await world.rightful("hanh", banner)
    store_question = await hanh.next_message()
    while "Gian hàng" not in store_question.text:
        store_question = await hanh.next_message()
    own_store = str(world.stores["HS-TIKTOK"])
    pick_own = store_question.callback_data(
        next(b for b in store_question.button_texts if "HS-TIKTOK" in b)
    )
    assert pick_own is not None
    rid = OrderFormCallback.unpack(pick_own).rid  # the run of the draft, not of the type pick
    await refused(
        world,
        [
            ("hanh", of(rid, "val", str(world.stores["HS-SHOPEE"])), STALE),  # Minh's store
            ("hanh", of(rid, "val", "999999"), STALE),
            ("hanh", of(rid, "val", "abc"), STALE),
            ("hanh", of(rid, "type", "banner"), STALE),
            ("hanh", of(rid, "submit"), STALE),
            ("vy", of(rid, "val", own_store), STALE),
            *others(of(rid, "val", own_store), STALE)[1:],
        ],
    )
    await world.rightful("hanh", pick_own)
    await refused(
        world,
        [
            ("hanh", of(rid, "val", "3"), STALE),  # three sizes: 0, 1, 2
            ("hanh", of(rid, "val", "99"), STALE),
            ("hanh", of(rid, "val", "-1"), STALE),
            ("hanh", of(rid, "val", "1200x1200"), STALE),  # the choice's text, not its index
            ("minh", of(rid, "val", "0"), STALE),
        ],
    )


# --- plan: the import preview ------------------------------------------------------------------


async def test_plan_buttons(world: World) -> None:
    tuan = world.users["tuan"]
    csv = "cửa hàng;chỉ số;tháng;mục tiêu\nHS-SHOPEE;gmv;2026-12;600tr\n"
    await tuan.send_document("plan.csv", csv.encode("utf-8"))
    preview = await tuan.next_message()
    confirm = preview.callback_data(T("plan.button.confirm"))
    assert confirm is not None
    iid = PlanCallback.unpack(confirm).iid
    await refused(
        world,
        [
            *[(who, confirm, STALE) for who in ("minh", "hanh", "khoa", "dung", "bao", "lan")],
            ("khoa", PlanCallback(action="no", iid=iid).pack(), STALE),
            ("tuan", PlanCallback(action="ok", iid="deadbeef").pack(), STALE),
            ("tuan", PlanCallback(action="zap", iid=iid).pack(), STALE),
            ("tuan", "plan:ok", STALE),
        ],
    )


# --- inv: the invite form ----------------------------------------------------------------------


def inv(step: str, value: str = "") -> str:
    return InviteCallback(step=step, value=value).pack()


async def test_invite_buttons(world: World) -> None:
    for name in ("lan", "tuan"):
        assert await world.open_form(name, "/invite")
    await refused(
        world,
        [
            ("minh", inv("role", "staff"), STALE),  # staff and the board do not invite
            ("bao", inv("role", "staff"), STALE),
            ("khoa", inv("role", "staff"), STALE),  # a manager with no invite open
            ("tuan", inv("role", "admin"), STALE),  # a manager invites staff and managers
            ("tuan", inv("role", "bod"), STALE),
            ("lan", inv("role", "superuser"), STALE),
            ("lan", inv("dept", "growth"), STALE),
            ("lan", inv("store", "HS-SHOPEE"), STALE),
            ("lan", inv("done"), STALE),
            ("lan", "inv:role:staff:extra", STALE),
        ],
    )
    await world.rightful("lan", inv("role", "staff"))
    await world.rightful("lan", inv("dept", "growth"))
    await refused(
        world,
        [
            ("lan", inv("store", "NO-SUCH-STORE"), STALE),
            ("lan", inv("dept", "livestream"), STALE),
            ("lan", inv("role", "admin"), STALE),
            ("tuan", inv("store", "HS-SHOPEE"), STALE),
        ],
    )


# --- kpi: navigation buttons -------------------------------------------------------------------


def kpi(view: str, target: int = 0, period: str = "m") -> str:
    return KpiCallback(v=view, i=target, p=period).pack()


async def test_kpi_buttons(world: World) -> None:
    async with world.app.db.session_factory() as session:
        departments = {d.code: d.id for d in (await session.scalars(select(Department))).all()}
        brands = {b.code: b.id for b in (await session.scalars(select(Brand))).all()}
    shopee, tiktok = world.stores["HS-SHOPEE"], world.stores["HS-TIKTOK"]
    stale = Says(T("kpi.stale"))
    await refused(
        world,
        [
            ("hanh", kpi("s", shopee), stale),  # Minh's store
            ("hanh", kpi("b", brands["TTSG"]), stale),  # a brand with none of her stores
            ("hanh", kpi("d", departments["growth"]), stale),  # staff open no department
            ("hanh", kpi("s", tiktok, "zz"), stale),
            ("hanh", kpi("s", tiktok, "2026-13"), stale),
            ("hanh", kpi("x"), stale),
            ("khoa", kpi("s", shopee), stale),  # another department's store
            ("khoa", kpi("d", departments["growth"]), stale),
            ("khoa", kpi("b", brands["HS"]), stale),
            ("tuan", kpi("d", departments["livestream"]), stale),
            ("tuan", kpi("s", 999999), stale),
            ("tuan", kpi("a", 5), stale),
            ("bao", kpi("m"), stale),  # the board reports nothing
            ("bao", kpi("d", 999999), stale),
            ("lan", kpi("b", 999999), stale),
            ("lan", kpi("s", shopee, "1999-01"), stale),
            ("lan", "kpi:s:abc:m", STALE),
        ],
    )


# --- lang and ol: language and the /orders tabs ------------------------------------------------


async def test_language_and_order_tab_buttons(world: World) -> None:
    def tab(name: str, page: int) -> str:
        return OrdersTabCallback(tab=name, page=page).pack()

    await refused(
        world,
        [
            *[(who, "lang:xx", STALE) for who in ROLES],
            *[(who, "lang:", STALE) for who in ROLES],
            ("minh", "lang:vi:extra", STALE),
            ("minh", tab("queue", 0), STALE),  # staff have no queue tab
            *[(who, tab("bogus", 0), STALE) for who in ROLES],
            *[(who, tab("mine", -1), STALE) for who in ROLES],
            ("tuan", tab("queue", 5000), STALE),
            ("lan", "ol:mine:abc", STALE),
        ],
    )
