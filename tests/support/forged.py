"""A small org in motion for the forged-buttons matrix: members of every role, an open alert,
an order, a day-off request, forms in progress; a way to press any callback data as any
member; and a snapshot of every table to prove a refused press changed nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select, text

from bot.i18n import Translator
from bot.roles import Role
from bot.sandbox.client import BotOutput, SandboxUser
from bot.services import alerts as alert_service
from bot.services import days_off as days_off_service
from bot.services import orders as order_service
from storage.models import AlertState, Base, DayOff, Member, Store
from storage.repositories import days_off as days_off_repo
from storage.repositories import reports
from support.bot_harness import BotUnderTest, forge_callback

T = Translator("vi")
DAY = date(2026, 11, 20)
AT = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)  # 11:00 in Ho Chi Minh City
BAD_DAY: dict[str, float] = {
    "gmv": 12_500_000, "nmv": 11_000_000, "orders": 85, "cancelled": 12, "returned": 2,
    "traffic": 3200, "ads_cost": 5_000_000,
}  # fmt: skip
# name -> (telegram id, role, department, stores)
PEOPLE: dict[str, tuple[int, Role, str | None, tuple[str, ...]]] = {
    "minh": (7001, Role.STAFF, "growth", ("HS-SHOPEE", "TTSG-Q1")),
    "hanh": (7002, Role.STAFF, "growth", ("HS-TIKTOK",)),
    "vy": (7003, Role.STAFF, "livestream", ()),
    "tuan": (7004, Role.MANAGER, "growth", ()),
    "khoa": (7005, Role.MANAGER, "livestream", ()),
    "dung": (7006, Role.MANAGER, "design", ()),
    "bao": (7007, Role.BOD, None, ()),
    "lan": (7008, Role.ADMIN, None, ()),
}
# One presser per role who has no part in the objects built for minh, tuan and dung.
OUTSIDERS = {"staff": "hanh", "manager": "khoa", "bod": "bao", "admin": "lan"}


@dataclass(frozen=True)
class Says:
    """The refusal a press must get: the callback answer, and for order buttons the message
    that follows it (the card's refusal)."""

    answer: str
    message: str | None = None


STALE = Says(T("callback.stale"))
Case = tuple[str, str, Says]  # presser, callback data, the refusal expected


@dataclass
class World:
    app: BotUnderTest
    users: dict[str, SandboxUser]
    members: dict[str, int] = field(default_factory=dict)  # name -> member id
    stores: dict[str, int] = field(default_factory=dict)  # code -> store id
    ids: dict[str, Any] = field(default_factory=dict)  # alert, order, day off...

    def anchor(self, name: str) -> int:
        """A bot message in the member's private chat to press forged buttons on."""
        user = self.users[name]
        mine = [
            m
            for m in self.app.sandbox.messages(user.user_id)
            if m["from"].get("id") == self.app.sandbox.bot_id
        ]
        assert mine, f"{name} has no bot message yet"
        return int(mine[-1]["message_id"])

    async def press(self, name: str, data: str) -> BotOutput:
        user = self.users[name]
        forge_callback(self.app.sandbox, user, self.anchor(name), data)
        return await user.next_callback_answer()

    async def open_form(self, name: str, command: str) -> BotOutput:
        """``command`` opens a form: its first message, once the form's state is committed (the
        reply comes before the commit, and a snapshot taken in between would see it land)."""
        before = await self.snapshot()
        await self.users[name].send(command)
        reply = await self.users[name].next_message()
        await self._until_changed(before, f"{name} sent {command!r}")
        return reply

    async def _until_changed(self, before: dict[str, list[tuple[Any, ...]]], what: str) -> None:
        for _ in range(250):
            if await self.snapshot() != before:
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"{what} and nothing was recorded")

    async def rightful(self, name: str, data: str) -> BotOutput:
        """A press the member may make; returns once what it changed is committed (the
        handler's transaction ends after its answer, so the answer alone is not enough)."""
        before = await self.snapshot()
        answer = await self.press(name, data)
        assert answer.text == "", f"{name} pressed {data!r}: answered {answer.text!r}"
        await self._until_changed(before, f"{name} pressed {data!r}")
        return answer

    async def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, in primary-key order."""
        tables: dict[str, list[tuple[Any, ...]]] = {}
        async with self.app.db.session_factory() as session:
            for table in Base.metadata.sorted_tables:
                order = [c.name for c in table.primary_key.columns] or ["1"]
                rows = await session.execute(
                    select(text("*")).select_from(table).order_by(*map(text, order))
                )
                tables[table.name] = [tuple(row) for row in rows.all()]
        return tables


async def build_world(app: BotUnderTest, users: dict[str, SandboxUser]) -> World:
    world = World(app, users)
    for name, (_, role, department, stores) in PEOPLE.items():
        await app.join(users[name], role, department, stores)
    app.clock.set(AT)
    async with app.db.session_factory() as session, session.begin():
        for member in (await session.scalars(select(Member))).all():
            name = next(n for n, p in PEOPLE.items() if p[0] == member.telegram_id)
            world.members[name] = member.id
        world.stores = {s.code: s.id for s in (await session.scalars(select(Store))).all()}
        await _alert(session, app, world)
        await _order(session, app, world)
        await _days_off(session, app, world)
    return world


async def _alert(session: Any, app: BotUnderTest, world: World) -> None:
    """Cancel rate and ROAS alerts on HS-SHOPEE for its owner (minh) and manager (tuan)."""
    sid = world.stores["HS-SHOPEE"]
    await reports.save_report(
        session, subject_key=f"store:{sid}", store_id=sid, member_id=None, form="growth",
        business_date=DAY, values=BAD_DAY, expected_revision=0, actor_id=None, now=AT,
        source="import",
    )  # fmt: skip
    await alert_service.evaluate_alerts(session, app.org, DAY, AT, store_ids=[sid])
    states = (await session.scalars(select(AlertState).order_by(AlertState.id))).all()
    assert states, "the bad day opened no alert"
    world.ids["alert"] = states[0].id


async def _order(session: Any, app: BotUnderTest, world: World) -> None:
    """Tuấn (growth) asks design for a banner: submitted, version 1, Dũng's queue."""
    tuan = await session.get(Member, world.members["tuan"])
    banner = app.org.order_type("banner")
    assert banner is not None
    answers = {
        "store": {"id": world.stores["HS-SHOPEE"], "code": "HS-SHOPEE"},
        "size": "1200x1200",
        "brief": "Banner 12.12",
    }
    order = await order_service.create_order(
        session, app.org, requester=tuan, order_type=banner, answers=answers, now=AT
    )
    world.ids["order"] = order.id
    world.ids["order_version"] = order.version


async def _days_off(session: Any, app: BotUnderTest, world: World) -> None:
    """Hạnh and Tuấn (both growth) each ask for a day off."""
    for name, key in (("hanh", "off"), ("tuan", "own_off")):
        member = await session.get(Member, world.members[name])
        await days_off_service.request_days_off(session, app.org, member, "25/11", AT)
        first = await session.scalar(
            select(DayOff).where(DayOff.member_id == member.id).order_by(DayOff.id)
        )
        world.ids[key] = (first.id, days_off_repo.request_stamp(first))


async def refused(world: World, cases: Sequence[Case]) -> None:
    """Each press refused with its answer, the database unchanged after each and at the end."""
    for who, _, _ in cases:
        world.users[who].drain()  # what earlier, rightful presses showed is not at issue
    first = before = await world.snapshot()
    for who, data, says in cases:
        answer = await world.press(who, data)
        assert answer.text == says.answer, f"{who} pressed {data!r}: answered {answer.text!r}"
        if says.message is not None:
            message = await world.users[who].next_message()
            assert says.message in message.text, f"{who} pressed {data!r}: {message.text!r}"
        after = await world.snapshot()
        changed = [name for name in before if before[name] != after[name]]
        assert not changed, f"{who} pressed {data!r} and changed {changed}"
    # Barrier: one more press per presser, answered after everything before it was handled.
    for who in dict.fromkeys(who for who, _, _ in cases):
        assert (await world.press(who, "lang:xx")).text == STALE.answer
        leftovers = [o.summary() for o in world.users[who].drain() if o.kind != "callback_answer"]
        assert not leftovers, f"{who} was sent {leftovers}"
    last = await world.snapshot()
    assert [n for n in first if first[n] != last[n]] == []


def others(data: str, says: Says) -> list[Case]:
    """The same button pressed by the outsider of every role."""
    return [(who, data, says) for who in OUTSIDERS.values()]
