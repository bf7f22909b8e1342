"""Forged buttons, part 1: report form (rp), reminders (rm), days off (off), alerts (al) and
orders (od). A member of each role presses a button built for someone else, and the rightful
member presses one with tampered fields; every press gets the stale / invalid answer and no
table changes (a snapshot of every row before and after each press, and again at the end,
once each presser's last update has been answered)."""

from __future__ import annotations

import pytest
from support.bot_harness import BotUnderTest
from support.forged import PEOPLE, STALE, Says, T, World, build_world, others, refused

from bot.views.alerts import AlertCallback
from bot.views.discipline import DayOffCallback, ReminderCallback
from bot.views.orders import OrderCallback
from bot.views.reports import ReportCallback


@pytest.fixture
async def world(app: BotUnderTest, user_factory) -> World:
    users = {name: user_factory(tid, name.capitalize()) for name, (tid, *_) in PEOPLE.items()}
    return await build_world(app, users)


# --- rp: the report form ---------------------------------------------------------------------


def rp(rid: str, action: str, value: str = "") -> str:
    return ReportCallback(rid=rid, action=action, value=value).pack()


async def test_report_form_buttons(world: World) -> None:
    minh = world.users["minh"]
    pick = await world.open_form("minh", "/report")
    own = f"store.{world.stores['HS-SHOPEE']}"
    data = pick.callback_data(next(b for b in pick.button_texts if "HS-SHOPEE" in b))
    assert data is not None and data.endswith(own)
    rid = ReportCallback.unpack(data).rid
    await refused(
        world,
        [
            *others(rp(rid, "pick", own), STALE),
            ("tuan", rp(rid, "pick", own), STALE),
            ("minh", rp(rid, "pick", f"store.{world.stores['HS-TIKTOK']}"), STALE),
            ("minh", rp(rid, "pick", "store.999999"), STALE),
            ("minh", rp(rid, "pick", "garbage"), STALE),
            ("minh", rp("ffffffff", "pick", own), STALE),
            ("minh", rp(rid, "day", "2099-01-01"), STALE),
            ("minh", rp(rid, "day", "2020-01-01"), STALE),
            ("minh", rp(rid, "day", "not-a-day"), STALE),
            ("minh", rp(rid, "confirm"), STALE),
            ("minh", f"rp:{rid}", STALE),
        ],
    )
    # The store was reported already (the alert's bad day): the form opens at its summary.
    await world.rightful("minh", data)
    summary = await minh.next_message()
    while "Tóm tắt" not in summary.text:
        summary = await minh.next_message()
    edit = summary.callback_data(T("button.edit"))
    assert edit is not None
    rid = ReportCallback.unpack(edit).rid  # the run of the draft, not of the store pick
    await world.rightful("minh", edit)
    await refused(
        world,
        [
            ("minh", rp(rid, "field", "bogus"), STALE),
            ("minh", rp(rid, "field", "99"), STALE),
            ("minh", rp(rid, "confirm"), STALE),
            ("minh", rp("ffffffff", "field", "gmv"), STALE),
            *others(rp(rid, "field", "gmv"), STALE),
        ],
    )


# --- rm: reminder buttons ----------------------------------------------------------------------


def rm(day: str, store: int | str) -> str:
    return (
        f"rm:{day}:{store}"
        if isinstance(store, str)
        else ReminderCallback(day=day, store=store).pack()
    )


async def test_reminder_buttons(world: World) -> None:
    shopee, tiktok = world.stores["HS-SHOPEE"], world.stores["HS-TIKTOK"]
    not_yours = Says(T("remind.refused.not_yours"))
    await refused(
        world,
        [
            ("hanh", rm("20261120", shopee), not_yours),
            ("vy", rm("20261120", shopee), not_yours),
            ("khoa", rm("20261120", shopee), not_yours),
            ("tuan", rm("20261120", 999999), not_yours),  # a manager reports any growth store
            ("bao", rm("20261120", shopee), STALE),
            ("lan", rm("20261120", shopee), STALE),
            ("minh", rm("20261120", tiktok), not_yours),
            ("minh", rm("20261120", 999999), not_yours),
            ("minh", rm("20261001", shopee), Says(T("remind.refused.date", day="01/10/2026"))),
            ("minh", rm("20261232", shopee), STALE),
            ("minh", rm("notadate", shopee), STALE),
            ("minh", rm("20261120", "-5"), STALE),
            ("minh", rm("20261120", "x"), STALE),
        ],
    )


# --- off: day-off decisions --------------------------------------------------------------------


def off(action: str, request: int, stamp: int) -> str:
    return DayOffCallback(action=action, request=request, stamp=stamp).pack()


async def test_day_off_buttons(world: World) -> None:
    request, stamp = world.ids["off"]
    own, own_stamp = world.ids["own_off"]
    not_found = Says(T("off.decide.not_found"))
    await refused(
        world,
        [
            *others(off("ok", request, stamp), STALE)[:1],  # staff may not decide
            ("khoa", off("ok", request, stamp), not_found),  # another department's manager
            ("dung", off("no", request, stamp), not_found),
            ("bao", off("ok", request, stamp), STALE),
            ("lan", off("ok", request, stamp + 1), not_found),  # an old request's button
            ("lan", off("ok", 999999, stamp), not_found),
            ("tuan", off("ok", request, stamp - 1), not_found),
            ("tuan", off("maybe", request, stamp), STALE),
            ("tuan", off("ok", own, own_stamp), Says(T("off.decide.own_request"))),
            ("tuan", f"off:ok:{request}", STALE),
            ("tuan", f"off:ok:{request}:soon", STALE),
        ],
    )


# --- al: alert buttons -------------------------------------------------------------------------


def al(action: str, scope: str, alert: int) -> str:
    return AlertCallback(action=action, scope=scope, id=alert).pack()


async def test_alert_buttons(world: World) -> None:
    alert = world.ids["alert"]
    not_found = Says(T("alert.answer.not_found"))
    await refused(
        world,
        [
            *others(al("ack", "b", alert), not_found),
            ("vy", al("snooze", "b", alert), not_found),
            ("khoa", al("task", "a", alert), not_found),
            ("minh", al("ack", "b", 999999), not_found),
            ("minh", al("explode", "b", alert), not_found),
            ("minh", al("ack", "z", alert), not_found),
            ("tuan", al("snooze", "", alert), not_found),
            ("tuan", al("task", "a", -1), not_found),
            ("tuan", f"al:ack:b:{alert}x", STALE),
            ("tuan", "al:ack", STALE),
        ],
    )


# --- od: buttons on an order card --------------------------------------------------------------


def od(action: str, order: int, version: int, member: int = 0) -> str:
    return OrderCallback(a=action, o=order, v=version, m=member).pack()


def refusal(key: str, **params: object) -> Says:
    return Says("", T(key, **params))


def stale_order(order: int) -> Says:
    cut = "\x00"
    head = T("order.stale", number=order, action=cut, actor=cut, at=cut, status=cut)
    return Says("", head.split(cut)[0])


async def test_order_buttons(world: World) -> None:
    order, version = world.ids["order"], world.ids["order_version"]
    not_found = refusal("order.not_found", number=order)
    not_allowed = refusal("order.not_allowed", number=order)
    await refused(
        world,
        [
            ("hanh", od("approve", order, version), not_found),
            ("vy", od("start", order, version), not_found),
            ("khoa", od("approve", order, version), not_found),
            ("khoa", od("reject", order, version), not_found),
            ("minh", od("view", order, 0), not_found),
            ("bao", od("approve", order, version), not_allowed),
            ("bao", od("reject", order, version), not_allowed),
            ("tuan", od("approve", order, version), not_allowed),
            ("lan", od("approve", order, version + 5), stale_order(order)),
            ("dung", od("approve", order, version + 1), stale_order(order)),
            ("dung", od("approve", 999999, version), refusal("order.not_found", number=999999)),
            ("dung", od("deliver", order, version), not_allowed),  # only the assignee delivers
            ("dung", od("explode", order, version), STALE),
            ("dung", f"od:approve:{order}:v1", STALE),
        ],
    )
    # Approved for real, so Assign may be pressed: with a person of another department.
    await world.rightful("dung", od("approve", order, version))
    version += 1
    await refused(
        world,
        [
            (
                "dung",
                od("to", order, version, world.members["minh"]),
                refusal("order.bad_assignee"),
            ),
            ("dung", od("to", order, version, 999999), refusal("order.bad_assignee")),
            ("dung", od("to", order, version - 1, world.members["dung"]), stale_order(order)),
            ("khoa", od("to", order, version, world.members["khoa"]), not_found),
            ("bao", od("to", order, version, world.members["dung"]), not_allowed),
        ],
    )
