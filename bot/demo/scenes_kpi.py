"""Demo scenes of the KPI views: a generated month of reports and plans, then /kpi for a store,
a brand and everything, /me and /dept. Data is generated relative to the demo clock's month."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.demo.kpi_data import days_between, sent_time, store_day, write_plan, write_report
from bot.org.loader import load_org
from bot.org.schema import OrgConfig
from bot.sandbox.client import SandboxUser
from bot.services.reporting import default_business_date
from storage.models import Member
from storage.repositories import catalog, members
from storage.repositories.reports import StaleReportError

if TYPE_CHECKING:
    from bot.demo.scenario import Scenario, Scene

# Typical daily GMV per store (đồng). Plans sit a little under what stores sell, so the month
# runs close to plan without tripping the demo org's alert rules (the alert scenes raise their
# own breach on purpose and expect no other alerts in the chats).
DAILY_GMV = {
    "HS-SHOPEE": 18_000_000,
    "HS-TIKTOK": 9_000_000,
    "TTSG-SHOPEE": 25_000_000,
    "TTSG-TIKTOK": 14_000_000,
    "TTSG-Q1": 6_000_000,
    "GDAP-SHOPEE": 30_000_000,
    "GDAP-TIKTOK": 11_000_000,
}
PLAN_FACTOR = {"TTSG-Q1": 0.8, "GDAP-TIKTOK": 1.0, "HS-SHOPEE": 0.97}
DEFAULT_PLAN_FACTOR = 0.9
RECENT_DAYS_ALWAYS_REPORTED = 3
LIVESTREAMERS = ((1101, "Thảo Live"), (1102, "Quân Live"))


def kpi_scenes(scenario: Scenario) -> list[Scene]:
    demo = KpiDemo(scenario)
    return [
        ("A month of reports and plans for every store (generated)", demo.generate),
        ("The manager asks /kpi for a store, then for the week", demo.store),
        ("A brand found without accents, then one of its stores", demo.brand),
        ("The admin looks at every store", demo.everything),
        ("Hạnh checks her own KPIs and punctuality with /me", demo.me),
        ("/dept: the Growth manager's stores, the admin's livestream team", demo.departments),
    ]


class KpiDemo:
    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.rng = random.Random(2026)

    @property
    def org(self) -> OrgConfig:
        from bot.demo import DEMO_ORG

        return load_org(DEMO_ORG)

    async def generate(self) -> None:
        org = self.org
        today = default_business_date(org, self.scenario.clock.now())
        first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        async with self.scenario.database.session_factory() as session, session.begin():
            written = await self._stores(session, org, first, today)
            written += await self._livestream(session, org, first, today)
        self.scenario.out.write(
            f"(generated {written} reports from {first:%d/%m/%Y} to {today:%d/%m/%Y}, "
            "plans for both months, a few days left unreported)"
        )

    async def _stores(self, session: AsyncSession, org: OrgConfig, first: date, today: date) -> int:
        written = 0
        for store in await catalog.list_stores(session):
            daily = DAILY_GMV.get(store.code, 10_000_000)
            for month_start in (first, today.replace(day=1)):
                days_in_month = (
                    (month_start + timedelta(days=32)).replace(day=1) - month_start
                ).days
                target = daily * days_in_month * PLAN_FACTOR.get(store.code, DEFAULT_PLAN_FACTOR)
                await write_plan(
                    session,
                    store_id=store.id,
                    year=month_start.year,
                    month=month_start.month,
                    targets={"gmv": round(target, -6), "orders": round(target / 150_000)},
                    weights={"11": 3.0} if month_start.month == 11 else {},
                    now=self.scenario.clock.now(),
                )
            skipped_yesterday = False
            for day in days_between(first, today):
                recent = (today - day).days < RECENT_DAYS_ALWAYS_REPORTED
                if not recent and not skipped_yesterday and self.rng.random() < 0.06:
                    skipped_yesterday = True
                    continue  # a day nobody reported (never two in a row)
                skipped_yesterday = False
                weight = 3.0 if (day.month, day.day) == (11, 11) else 1.0
                written += await self._write(
                    session,
                    org,
                    subject_key=f"store:{store.id}",
                    store_id=store.id,
                    form=self._form_of(org, store.code),
                    day=day,
                    values=store_day(self.rng, daily, weight),
                )
        return written

    @staticmethod
    def _form_of(org: OrgConfig, store_code: str) -> str:
        config = org.store(store_code)
        return config.department if config else "growth"

    async def _livestream(
        self, session: AsyncSession, org: OrgConfig, first: date, today: date
    ) -> int:
        department = await catalog.get_department_by_code(session, "livestream")
        if department is None:
            return 0
        written = 0
        for telegram_id, name in LIVESTREAMERS:
            member = await members.add_member(
                session,
                Member(
                    telegram_id=telegram_id,
                    full_name=name,
                    role="staff",
                    department_id=department.id,
                    locale="vi",
                    reachable=True,
                    active=True,
                    joined_at=self.scenario.clock.now(),
                ),
            )
            for day in days_between(first, today):
                if self.rng.random() < 0.1:
                    continue
                sessions = self.rng.randint(1, 3)
                values = {
                    "live_sessions": sessions,
                    "live_hours": round(sessions * self.rng.uniform(1.5, 2.5), 1),
                    "gmv": round(sessions * self.rng.uniform(3e6, 8e6), -3),
                }
                written += await self._write(
                    session,
                    org,
                    subject_key=f"member:{member.id}",
                    member_id=member.id,
                    form="livestream",
                    day=day,
                    values=values,
                )
        return written

    async def _write(
        self,
        session: AsyncSession,
        org: OrgConfig,
        *,
        subject_key: str,
        form: str,
        day: date,
        values: dict[str, float],
        store_id: int | None = None,
        member_id: int | None = None,
    ) -> int:
        late = self.rng.random() < 0.12
        try:
            await write_report(
                session,
                subject_key=subject_key,
                store_id=store_id,
                member_id=member_id,
                form=form,
                day=day,
                values=values,
                sent_at=sent_time(day, self.rng, org.tz, late=late),
            )
        except StaleReportError:
            return 0  # reported in chat earlier in the demo: keep the real one
        return 1

    async def _ask(self, user: SandboxUser, text: str) -> None:
        await user.send(text)
        await user.next_photo()
        await self.scenario._breathe()

    async def _press(self, user: SandboxUser, button: str) -> None:
        await user.press(button)
        await user.next_photo()
        await self.scenario._breathe()

    async def store(self) -> None:
        await self._ask(self.scenario.tuan, "/kpi HS-SHOPEE")
        await self._press(self.scenario.tuan, "Tuần")

    async def brand(self) -> None:
        await self._ask(self.scenario.tuan, "/kpi thoi trang sai gon")
        await self._press(self.scenario.tuan, "🏪 TTSG-Q1")

    async def everything(self) -> None:
        await self._ask(self.scenario.lan, "/kpi all")

    async def me(self) -> None:
        await self._ask(self.scenario.hanh, "/me")

    async def departments(self) -> None:
        await self._ask(self.scenario.tuan, "/dept")
        await self._ask(self.scenario.lan, "/dept livestream")
