"""Demo scenes of KPI alerts and digests: a breach alert reaches the store owner, who
acknowledges it by button; then the board's daily digest.

Jobs are run by hand for the demo's business date (``run_job(..., at=...)``, like
``opsbot jobs run NAME --at``); the bot's outbox sender delivers what they queue.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from bot.delivery import Rate, RateLimits
from bot.org.loader import load_org
from bot.org.schema import OrgConfig
from bot.sandbox.client import BotOutput, SandboxUser
from bot.services.alerts import deadline_of, latest_due_date
from jobs.runner import run_job
from jobs.table import default_handlers
from storage.repositories import catalog, reports

if TYPE_CHECKING:
    from bot.demo.scenario import Scenario, Scene

UNLIMITED = RateLimits(overall=Rate(100_000, 1.0), private_chat=Rate(100_000, 1.0))
STORE = "HS-SHOPEE"
LATE_ADS_COST = 9_000_000  # the ad invoice came in: ROAS falls under 3
# Used when the day had no report at all.
DAY_VALUES = {"gmv": 15_000_000, "nmv": 13_500_000, "orders": 100, "cancelled": 2,
              "returned": 1, "traffic": 3500}  # fmt: skip


def alert_scenes(scenario: Scenario) -> list[Scene]:
    demo = AlertsDemo(scenario)
    return [
        ("A KPI breach alert reaches the store owner, who acknowledges it", demo.breach),
        ("The board's daily digest", demo.daily_digest),
    ]


class AlertsDemo:
    def __init__(self, scenario: Scenario) -> None:
        self.s = scenario
        self.day: date | None = None

    @property
    def org(self) -> OrgConfig:
        from bot.demo import DEMO_ORG

        return load_org(DEMO_ORG)

    async def _job(self, org: OrgConfig, name: str, at: datetime) -> None:
        outcome = await run_job(
            self.s.database.session_factory,
            org,
            name,
            at,
            default_handlers(),
            now=self.s.clock.now(),
        )
        local = at.astimezone(org.tz).strftime("%Y-%m-%dT%H:%M")
        self.s.out.write(f"$ opsbot jobs run {name} --at {local}\n{outcome.text}")
        if outcome.status == "failed":
            raise AssertionError(outcome.text)

    async def _record_late_invoice(self, org: OrgConfig, day: date) -> None:
        async with self.s.database.session_factory() as session, session.begin():
            store = await catalog.get_store_by_code(session, STORE)
            if store is None:
                raise AssertionError(f"no store {STORE}")
            store_id = store.id
            key = f"store:{store_id}"
            stored = await reports.load_report(session, key, "growth", day)
            await reports.save_report(
                session,
                subject_key=key,
                store_id=store_id,
                member_id=None,
                form="growth",
                business_date=day,
                values={**({} if stored else DAY_VALUES), "ads_cost": LATE_ADS_COST},
                expected_revision=stored.revision if stored else 0,
                actor_id=None,
                now=self.s.clock.now(),
                source="import",
            )
        self.s.out.write(
            f"(the ad invoice of {day:%d/%m} arrives: {STORE} ads cost set to 9.000.000 ₫, "
            "imported)"
        )

    async def _store_alert(self, user: SandboxUser) -> BotOutput:
        for _ in range(20):
            output = await user.next_output(("photo", "message"))
            if STORE in output.text and output.buttons:
                return output
        raise AssertionError(f"{user.first_name} got no alert for {STORE}")

    async def breach(self) -> None:
        org = self.org
        day = latest_due_date(org, self.s.clock.now())
        self.day = day
        self.s.server.register_group(org.chats.bod or 0, "Ban giám đốc")
        self.s.lan.chats.add(org.chats.bod or 0)  # the admin sits in the board's group
        self.s.minh.drain()
        await self._record_late_invoice(org, day)
        await self._job(org, "alerts", deadline_of(org, day) + timedelta(minutes=30))
        await self.s.delivered()
        alert = await self._store_alert(self.s.minh)
        await self.s.minh.press(alert.buttons[0][0], alert)
        await self.s.minh.next_output("callback_answer")
        await self.s.minh.next_edit()

    async def daily_digest(self) -> None:
        org = self.org
        day = self.day or latest_due_date(org, self.s.clock.now())
        at = datetime.combine(day + timedelta(days=1), org.schedules.daily_digest, tzinfo=org.tz)
        self.s.lan.drain()
        await self._job(org, "daily_digest", at)
        await self.s.delivered()
        for _ in range(20):
            output = await self.s.lan.next_output(("photo", "message"))
            if output.chat_id == org.chats.bod and "Tổng hợp ngày" in output.text:
                return
        raise AssertionError("no daily digest in the board's group")
