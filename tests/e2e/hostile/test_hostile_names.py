"""Names that HTML would read as markup, from the org file (store, brand, department, metric,
request type, choice; a "$" too, which a chart could read as maths) and from Telegram
(members' names), shown everywhere the bot shows them: the report form and its receipt,
/status, /history, /kpi, /plan, /help, the order form, order notices, day-off requests and
decisions, reminders and escalation.

Each reply and each queued message must be one Telegram accepts, with the names shown as
typed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from support.bot_harness import DEMO_ORG, BotUnderTest
from support.databases import DatabaseSpec
from support.hostile import Watch, check_clean, probe, tap, texts
from support.outbox_delivery import deliver_outbox

from bot.clock import FrozenClock
from bot.org.loader import load_org
from bot.roles import Role
from bot.sandbox.client import SandboxUser
from bot.sandbox.server import SandboxServer
from jobs.runner import run_job
from jobs.table import default_handlers

RENAMED = {  # demo org text -> a name with markup characters
    "{ vi: Tăng trưởng, en: Growth }": '{ vi: "Tăng <trưởng> & Co", en: "Growth <&>" }',
    "{ vi: Thiết kế, en: Design }": '{ vi: "Thiết <kế>", en: "Design </i>" }',
    "name: Mỹ Phẩm Hoa Sen": 'name: "Mỹ Phẩm <b>Hoa Sen"',
    "name: Hoa Sen Official Store (Shopee)": 'name: "Hoa Sen <Official> & Store </i> $5 & $x^"',
    "{ vi: Doanh thu (GMV), en: GMV }": '{ vi: "Doanh thu <GMV> & co", en: "GMV <b>" }',
    "{ vi: Thiết kế banner, en: Banner design }": '{ vi: "Thiết kế <banner>", en: "<Banner>" }',
    "{ vi: Kích thước, en: Size }": '{ vi: "Kích <thước>", en: "<Size>" }',
    '"1200x1200"': '"1200<x>1200 &amp;"',
}
STORE = "Hoa Sen <Official> & Store </i>"
METRIC = "Doanh thu <GMV> & co"
STAFF, MANAGER, DESIGNER = "<b>Minh</i> & Co", "Tuấn <script>", "Lan &lt;3"


@pytest.fixture
async def app(
    sandbox: SandboxServer, database_spec: DatabaseSpec, clock: FrozenClock, tmp_path: Path
) -> AsyncIterator[BotUnderTest]:
    text = DEMO_ORG.read_text(encoding="utf-8")
    for old, new in RENAMED.items():
        assert old in text, old
        text = text.replace(old, new)
    org_file = tmp_path / "org.yaml"
    org_file.write_text(text, encoding="utf-8")
    bot = BotUnderTest(sandbox, database_spec, clock)
    bot.org = load_org(org_file)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


@pytest.fixture
async def people(app: BotUnderTest, user_factory) -> dict[str, SandboxUser]:
    team = {
        "staff": user_factory(9101, STAFF),
        "manager": user_factory(9102, MANAGER),
        "designer": user_factory(9103, DESIGNER),
        "admin": user_factory(9104, "An"),
    }
    await app.join(team["staff"], Role.STAFF, "growth", ("HS-SHOPEE",))
    await app.join(team["manager"], Role.MANAGER, "growth")
    await app.join(team["designer"], Role.MANAGER, "design")
    await app.join(team["admin"], Role.ADMIN)
    return team


async def delivered(app: BotUnderTest, watch: Watch) -> None:
    """Run the outbox sender once; every queued message must be accepted."""
    watch.clear()
    report = await deliver_outbox(app)
    check_clean(watch, [], "(outbox)")
    assert report.failed == 0, report


async def test_names_with_markup_characters_everywhere(
    app: BotUnderTest, people: dict[str, SandboxUser], watch: Watch
) -> None:
    staff, manager, designer, admin = (people[k] for k in ("staff", "manager", "designer", "admin"))
    assert "Tăng <trưởng> & Co" in texts(await probe(app, staff, watch, "/help"))

    # The report form and its receipt show the store and the metric as named.
    question = texts(await probe(app, staff, watch, "/report"))
    assert STORE in question and METRIC in question
    assert METRIC in texts(await probe(app, staff, watch, "12tr"))
    rest = "nmv 11tr\nđơn 85\nhủy 3\nhoàn 2\nlượt truy cập 3.200\nchi phí ads 1tr2"
    assert STORE in texts(await probe(app, staff, watch, rest))
    assert "Đã lưu" in texts(await tap(app, staff, watch, "✅ Xác nhận"))
    await delivered(app, watch)

    # What the manager looks at.
    assert STAFF in texts(await probe(app, manager, watch, "/status"))
    assert STAFF in texts(await probe(app, manager, watch, "/history HS-SHOPEE"))
    kpi = await probe(app, manager, watch, "/kpi HS-SHOPEE")
    assert kpi[0].kind == "photo" and STORE in kpi[0].text  # drawn, with "$" in the name
    assert STORE in texts(await probe(app, manager, watch, "/plan HS-SHOPEE"))
    await probe(app, manager, watch, "/me")
    await probe(app, admin, watch, "/kpi all")
    await probe(app, admin, watch, "/dept")

    # A request to Design: the form, the notice to Design's manager, a rejection with a reason.
    await probe(app, manager, watch, "/order")
    assert "Thiết kế <banner>" in texts(await tap(app, manager, watch, "Thiết kế <banner>"))
    assert "Kích <thước>" in texts(await probe(app, manager, watch, "HS-SHOPEE"))
    assert "1200<x>1200 &amp;" in texts(await tap(app, manager, watch, "1200<x>1200 &amp;"))
    await probe(app, manager, watch, "Banner <sale> & more")
    await probe(app, manager, watch, "28/11 14h")
    summary = texts(await tap(app, manager, watch, "⏭ Bỏ qua"))
    assert "Banner <sale> & more" in summary and "Thiết <kế>" in summary
    assert "Thiết <kế>" in texts(await tap(app, manager, watch, "📨 Gửi yêu cầu"))
    await delivered(app, watch)
    notice = designer.drain()[-1]
    assert MANAGER in notice.text and "Thiết kế <banner>" in notice.text
    await tap(app, designer, watch, "✖️ Từ chối", notice)
    await probe(app, designer, watch, "Không <kịp> & hết người")
    await delivered(app, watch)
    told = texts(manager.drain())
    assert DESIGNER in told and "Không <kịp> & hết người" in told
    assert DESIGNER in texts(await probe(app, manager, watch, "/order 1"))

    # A day off: asked with a reason, decided by the manager, told back.
    await probe(app, staff, watch, "/off 25/11 về <quê> & nghỉ")
    await delivered(app, watch)
    request = manager.drain()[-1]
    assert STAFF in request.text and "về <quê> & nghỉ" in request.text
    decided = texts(await tap(app, manager, watch, "✅ Duyệt", request))
    assert STAFF in decided and MANAGER in decided
    await delivered(app, watch)
    assert MANAGER in texts(staff.drain())

    # The 10:30 reminder and the 11:00 escalation, with the names in them.
    tz = app.org.tz
    for job, at in (("reminder", (10, 30)), ("escalation", (11, 0))):
        when = datetime(2026, 11, 22, *at, tzinfo=tz)
        await run_job(app.db.session_factory, app.org, job, when, default_handlers())
        await delivered(app, watch)
