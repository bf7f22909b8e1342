"""Numbers without typing, checked like a chat report: scope, days, metrics, values and the
form's cross-checks (bot.services.ingest.check_items / apply_items; SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support.people import DEMO_ORG_FILE, add_person, sync_demo_org

from bot.clock import FrozenClock
from bot.domain.ingest import DayValues, ItemResult
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.services import ingest
from bot.services.ingest import IngestScope
from storage.models import Member, Store, ValueRevision
from storage.repositories import reports

SF = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)  # 09:00 on 21/11 in Ho Chi Minh City
YESTERDAY = date(2026, 11, 20)  # the latest complete business day at NOW
EN = Translator("en")
VI = Translator("vi")
EVERYTHING = IngestScope(None, None)


@pytest.fixture
async def org(session_factory: SF, clock: FrozenClock) -> OrgConfig:
    async with session_factory() as session, session.begin():
        org = await sync_demo_org(session)
        now = clock.now()
        await add_person(
            session, 5001, "Minh", "staff", department="growth", stores=["HS-SHOPEE"], now=now
        )
        await add_person(session, 5002, "Tuấn", "manager", department="growth", now=now)
        await add_person(session, 5003, "Vy", "manager", department="media", now=now)
        await add_person(session, 5004, "An", "admin", now=now)
    return org


async def member(session: AsyncSession, telegram_id: int) -> Member:
    found = await session.scalar(select(Member).where(Member.telegram_id == telegram_id))
    assert found is not None
    return found


async def store_id(session: AsyncSession, code: str) -> int:
    found = await session.scalar(select(Store.id).where(Store.code == code))
    assert found is not None
    return found


async def check(
    session_factory: SF,
    org: OrgConfig,
    items: Sequence[DayValues],
    scope: IngestScope = EVERYTHING,
    t: Translator = EN,
) -> list[ItemResult]:
    async with session_factory() as session:
        return await ingest.check_items(session, org, items, scope, NOW, t)


async def apply(
    session_factory: SF,
    org: OrgConfig,
    items: Sequence[DayValues],
    scope: IngestScope = EVERYTHING,
    t: Translator = EN,
) -> list[ItemResult]:
    async with session_factory() as session, session.begin():
        return await ingest.apply_items(
            session, org, items, scope, source="api:n8n", detail=None, actor_id=None, now=NOW, t=t
        )


async def revision_count(session_factory: SF) -> int:
    async with session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(ValueRevision)) or 0)


def item(values: Mapping[str, float], store: str = "HS-SHOPEE", day: date = YESTERDAY) -> DayValues:
    return DayValues(store, day, values)


def only_error(result: ItemResult) -> tuple[str | None, str]:
    assert result.status == "rejected" and result.revision is None
    assert len(result.errors) == 1, result.errors
    return result.errors[0].metric, result.errors[0].message


# --- scope ---------------------------------------------------------------------------------------


async def test_member_scopes_follow_roles(session_factory: SF, org: OrgConfig) -> None:
    async with session_factory() as session:
        minh, tuan = await member(session, 5001), await member(session, 5002)
        admin = await member(session, 5004)
        staff = await ingest.member_scope(session, org, minh, NOW)
        manager = await ingest.member_scope(session, org, tuan, NOW)
        everyone = await ingest.member_scope(session, org, admin, NOW)
        shopee = await store_id(session, "HS-SHOPEE")
    # Staff: own store, 7 days back from the default business date (20/11).
    assert staff == IngestScope(frozenset({shopee}), date(2026, 11, 13))
    assert manager.earliest_day is None and manager.store_ids is not None
    assert len(manager.store_ids) == len([s for s in org.stores if s.department == "growth"])
    assert everyone == IngestScope(None, None)


async def test_unknown_and_out_of_scope_stores_get_the_same_answer(
    session_factory: SF, org: OrgConfig
) -> None:
    async with session_factory() as session:
        staff = await ingest.member_scope(session, org, await member(session, 5001), NOW)
        media = await ingest.member_scope(session, org, await member(session, 5003), NOW)
    values = {"gmv": 1_000_000}

    unknown, other = await check(
        session_factory, org, [item(values, "NOPE"), item(values, "HS-TIKTOK")], staff
    )
    (media_view,) = await check(session_factory, org, [item(values, "HS-SHOPEE")], media)

    assert only_error(unknown) == (None, "No store «NOPE» within your scope.")
    assert only_error(other) == (None, "No store «HS-TIKTOK» within your scope.")
    assert only_error(media_view) == (None, "No store «HS-SHOPEE» within your scope.")
    # In scope, whatever the case the code is written in.
    (own,) = await check(session_factory, org, [item(values, " hs-shopee ")], staff)
    assert own.status == "created" and own.store == " hs-shopee "


# --- days ----------------------------------------------------------------------------------------


async def test_days_not_over_yet_are_refused(session_factory: SF, org: OrgConfig) -> None:
    today, tomorrow = YESTERDAY + timedelta(days=1), YESTERDAY + timedelta(days=2)
    results = await check(
        session_factory,
        org,
        [item({"orders": 5}, day=d) for d in (YESTERDAY, today, tomorrow)],
    )
    assert [r.status for r in results] == ["created", "rejected", "rejected"]
    assert only_error(results[1]) == (
        None,
        "21/11/2026 is not over yet; the latest complete day is 20/11/2026.",
    )


async def test_a_same_day_org_still_waits_for_the_day_to_end(
    session_factory: SF, org: OrgConfig
) -> None:
    same_day = org.model_copy(
        update={"report": org.report.model_copy(update={"covers": "same_day"})}
    )
    assert ingest.latest_complete_day(same_day, NOW) == YESTERDAY
    (today,) = await check(session_factory, same_day, [item({"orders": 5}, day=NOW.date())])
    assert today.status == "rejected"


async def test_staff_backfill_window(session_factory: SF, org: OrgConfig) -> None:
    async with session_factory() as session:
        staff = await ingest.member_scope(session, org, await member(session, 5001), NOW)
        manager = await ingest.member_scope(session, org, await member(session, 5002), NOW)
    oldest, too_old = date(2026, 11, 13), date(2026, 11, 12)
    items = [item({"orders": 5}, day=oldest), item({"orders": 5}, day=too_old)]

    as_staff = await check(session_factory, org, items, staff, VI)
    as_manager = await check(session_factory, org, items, manager)

    assert as_staff[0].status == "created"
    assert only_error(as_staff[1]) == (
        None,
        "Ngày 12/11/2026 quá xa: bạn chỉ được gửi số liệu từ ngày 13/11/2026 trở đi.",
    )
    assert [r.status for r in as_manager] == ["created", "created"]
    # Loading history: a manager may send any past day.
    (year_ago,) = await check(session_factory, org, [item({"orders": 5}, day=date(2025, 11, 1))])
    assert year_ago.status == "created"


# --- metrics and values --------------------------------------------------------------------------


async def test_a_metric_outside_the_form_names_the_valid_ones(
    session_factory: SF, org: OrgConfig
) -> None:
    (result,) = await check(session_factory, org, [item({"gmv": 1_000_000, "videos": 3})])
    metric, message = only_error(result)
    assert metric == "videos"
    assert message == (
        "«videos» is not a metric of the report of HS-SHOPEE. Valid metrics: "
        "gmv, nmv, orders, cancelled, returned, traffic, ads_cost."
    )
    (typo,) = await check(session_factory, org, [item({"GMV ": 1})])
    assert only_error(typo)[0] == "GMV "


async def test_derived_metrics_are_refused(session_factory: SF, org: OrgConfig) -> None:
    (result,) = await check(session_factory, org, [item({"orders": 10, "aov": 150_000})])
    metric, message = only_error(result)
    assert metric == "aov"
    assert message.startswith("«aov» is computed from other metrics and cannot be sent.")


@pytest.mark.parametrize(
    ("values", "metric", "message"),
    [
        ({"orders": 85.5}, "orders", "Orders must be a whole number (you entered 85.5)."),
        ({"gmv": -5}, "gmv", "GMV = -5 ₫ is negative; numbers cannot be negative."),
        (
            {"gmv": 60_000_000_000},
            "gmv",
            "GMV = 60,000,000,000 ₫ is above the maximum 50,000,000,000 ₫.",
        ),
        ({"traffic": float("nan")}, "traffic", "Visits: the value is not valid."),
        ({"traffic": float("inf")}, "traffic", "Visits: the value is not valid."),
    ],
)
async def test_values_are_checked_like_the_chat_form(
    session_factory: SF, org: OrgConfig, values: dict[str, float], metric: str, message: str
) -> None:
    (result,) = await check(session_factory, org, [item(values)])
    got_metric, got_message = only_error(result)
    assert got_metric == metric
    assert got_message.replace("\xa0", " ") == message


async def test_the_unit_ceiling_applies_without_an_org_maximum(session_factory: SF) -> None:
    data: dict[str, Any] = yaml.safe_load(DEMO_ORG_FILE.read_text(encoding="utf-8"))
    for metric in data["metrics"]:
        metric.pop("max", None)
    unbounded = OrgConfig.model_validate(data)
    async with session_factory() as session, session.begin():
        await sync_demo_org(session)
    fine = item({"orders": 1_000_000})  # above the demo maximum of 500,000, below 10⁹
    huge = item({"orders": 2_000_000_000})

    results = await check(session_factory, unbounded, [fine, huge])

    assert results[0].status == "created"
    metric, message = only_error(results[1])
    assert metric == "orders" and "unusually large" in message


async def test_several_problems_are_all_listed(session_factory: SF, org: OrgConfig) -> None:
    (result,) = await check(
        session_factory, org, [item({"orders": 1.5, "gmv": -1, "clicks": 3, "returned": 2})]
    )
    assert result.status == "rejected"
    assert [e.metric for e in result.errors] == ["orders", "gmv", "clicks"]


async def test_empty_values_are_refused(session_factory: SF, org: OrgConfig) -> None:
    (result,) = await check(session_factory, org, [item({})], t=VI)
    assert only_error(result) == (None, "Không có chỉ số nào để lưu.")


async def test_cross_checks_run_on_the_merged_day(session_factory: SF, org: OrgConfig) -> None:
    await apply(session_factory, org, [item({"gmv": 10_000_000, "orders": 50, "traffic": 900})])

    bad_nmv, fine, bad_orders, untouched = await check(
        session_factory,
        org,
        [
            item({"nmv": 11_000_000}),  # nmv ≤ gmv, with the stored gmv
            item({"gmv": 12_000_000, "nmv": 11_000_000}),
            item({"cancelled": 40, "returned": 20}),  # cancelled + returned ≤ orders (stored)
            item({"ads_cost": 1_000_000}, store="HS-TIKTOK"),
        ],
    )

    metric, message = only_error(bad_nmv)
    assert metric == "nmv"
    assert message.replace("\xa0", " ") == (
        "Net merchandise value (11,000,000) must be ≤ GMV (10,000,000)."
    )
    assert fine.status == "updated" and fine.revision == 2
    assert only_error(bad_orders)[0] in {"cancelled", "returned"}
    assert untouched.status == "created"


async def test_check_items_writes_nothing_and_predicts_apply(
    session_factory: SF, org: OrgConfig
) -> None:
    items = [
        item({"gmv": 10_000_000, "orders": 50}),
        item({"gmv": 10_000_000, "orders": 51}),  # the same day again: judged after the first
        item({"gmv": 10_000_000}),
        item({"orders": 1}, store="NOPE"),
    ]

    predicted = await check(session_factory, org, items)
    assert await revision_count(session_factory) == 0
    applied = await apply(session_factory, org, items)

    assert [(r.status, r.revision) for r in predicted] == [
        ("created", 1),
        ("updated", 2),
        ("unchanged", 2),
        ("rejected", None),
    ]
    assert [(r.status, r.revision) for r in applied] == [(r.status, r.revision) for r in predicted]
    assert applied[1].changes[0].old == 50 and applied[1].changes[0].new == 51
    assert applied[2].unchanged == ("gmv",)
    async with session_factory() as session:
        sid = await store_id(session, "HS-SHOPEE")
        stored = await reports.load_report(session, f"store:{sid}", "growth", YESTERDAY)
    assert stored is not None and stored.revision == 2
    assert stored.values == {"gmv": 10_000_000, "orders": 51}
