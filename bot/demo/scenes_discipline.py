"""Demo scenes of report discipline: the 10:30 reminder (a newcomer has not reported), a late
report straight from the reminder's store button, the 11:00 escalation to the manager (and the
coverage in the board's group), and a day off approved by button.

Jobs are run by hand, as ``opsbot jobs run NAME --at`` does, for the latest day whose 11:00 has
passed (the demo runs on the real clock: messages are never queued for later). The bot's
outbox sender delivers them.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from bot.demo.scenario import invite_token
from bot.org.loader import load_org
from bot.org.schema import OrgConfig
from bot.sandbox.client import BotOutput, SandboxUser
from jobs.runner import run_job
from jobs.table import default_handlers

if TYPE_CHECKING:
    from bot.demo.scenario import Scenario, Scene

PHUC_STORES = ("TTSG-SHOPEE", "TTSG-TIKTOK")
PHUC_REPORT = (
    "doanh thu 9,8tr\nthực thu 9tr\nđơn 70\nhủy 2\nhoàn 1\nlượt truy cập 2.900\nchi phí ads 1tr1"
)


def discipline_scenes(scenario: Scenario) -> list[Scene]:
    demo = DisciplineDemo(scenario)
    return [
        ("10:30: a reminder to whoever has not reported yet", demo.reminder),
        ("A late report straight from the reminder's store button", demo.late_report),
        ("11:00: the manager learns who is still missing", demo.escalation),
        ("/off: a day off, approved by the manager with one press", demo.day_off),
    ]


class DisciplineDemo:
    def __init__(self, scenario: Scenario) -> None:
        self.s = scenario
        self.phuc = SandboxUser(scenario.server, 1401, "Phúc", "phuc_shop", "vi")
        self.reminder_message: BotOutput | None = None

    @property
    def org(self) -> OrgConfig:
        from bot.demo import DEMO_ORG

        return load_org(DEMO_ORG)

    def _run_day(self, org: OrgConfig) -> date:
        """Today when its escalation time has passed, else yesterday (never a future run)."""
        now = self.s.clock.now().astimezone(org.tz)
        today = now.date()
        passed = now.time() >= org.schedules.escalation
        return today if passed else today - timedelta(days=1)

    def _at(self, org: OrgConfig, when: time) -> datetime:
        return datetime.combine(self._run_day(org), when, tzinfo=org.tz)

    async def _job(self, org: OrgConfig, name: str, at: datetime) -> None:
        outcome = await run_job(
            self.s.database.session_factory, org, name, at, default_handlers(),
            now=self.s.clock.now(),
        )  # fmt: skip
        self.s.out.write(f"$ opsbot jobs run {name} --at {at:%Y-%m-%dT%H:%M}\n{outcome.text}")
        if outcome.status not in ("done", "already_ran"):
            raise AssertionError(outcome.text)

    def _quiet_bystanders(self) -> None:
        """Reminders to the other demo people are in the transcript; later scenes start clean."""
        for user in (self.s.lan, self.s.tuan, self.s.minh, self.s.hanh):
            user.drain()

    async def reminder(self) -> None:
        org = self.org
        reply = await self.s.say(self.s.tuan, f"/invite staff growth {','.join(PHUC_STORES)}")
        await self.s.say(self.phuc, f"/start {invite_token(reply)}")
        await self._job(org, "reminder", self._at(org, org.schedules.reminder))
        await self.s.delivered()
        self._quiet_bystanders()
        self.reminder_message = await self.phuc.next_message()
        if f"📝 {PHUC_STORES[0]}" not in self.reminder_message.button_texts:
            raise AssertionError(f"no store button in {self.reminder_message.summary()}")

    async def late_report(self) -> None:
        if self.reminder_message is None:
            raise AssertionError("the reminder scene did not run")
        await self.phuc.press(f"📝 {PHUC_STORES[0]}", self.reminder_message)
        question = await self.phuc.next_message()
        if PHUC_STORES[0] not in question.text:
            raise AssertionError(f"the form did not open for {PHUC_STORES[0]}: {question.text}")
        await self.s.say(self.phuc, PHUC_REPORT)
        await self.s.press(self.phuc, "✅ Xác nhận")
        await self.phuc.next_message()

    async def escalation(self) -> None:
        org = self.org
        if org.chats.bod is not None:
            self.s.server.register_group(org.chats.bod, "Ban giám đốc")
        await self._job(org, "escalation", self._at(org, org.schedules.escalation))
        await self.s.delivered()
        for _ in range(10):
            message = await self.s.tuan.next_message()
            if "Phúc" in message.text:
                break
        else:
            raise AssertionError("the manager got no escalation naming Phúc")
        if PHUC_STORES[1] not in message.text or PHUC_STORES[0] in message.text:
            raise AssertionError(f"escalation should list only {PHUC_STORES[1]}: {message.text}")
        self._quiet_bystanders()

    async def day_off(self) -> None:
        reply = await self.s.say(self.phuc, "/off thứ 6 đi đám cưới em gái")
        if "Đã gửi" not in reply:
            raise AssertionError(reply)
        await self.s.delivered()
        request = await self.s.tuan.next_message()
        if "✅ Duyệt" not in request.button_texts:
            raise AssertionError(f"no approve button in {request.summary()}")
        await self.s.tuan.press("✅ Duyệt", request)
        await self.s.tuan.next_edit()
        await self.s.delivered()
        await self.phuc.next_message()
        await self.s.say(self.phuc, "/off")
        self._quiet_bystanders()
