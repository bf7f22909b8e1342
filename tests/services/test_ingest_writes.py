"""Numbers without typing, written: revisions with their source, merging, nothing written twice,
chat and import side by side, a late import re-evaluating alerts (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support.people import add_person, sync_demo_org

from bot.clock import FrozenClock
from bot.domain.ingest import DayValues, ItemResult, ValueChange
from bot.domain.months import YearMonth
from bot.i18n import Translator
from bot.org.schema import OrgConfig
from bot.services import ingest, report_history
from bot.services.export_request import ExportRequest
from bot.services.ingest import IngestScope
from bot.services.revision_export import revisions_sheet
from bot.services.scope import everything_scope
from bot.views.reports import history_text
from storage.models import AlertState, Member, OutboxMessage, Store, ValueRevision
from storage.repositories import reports

SF = async_sessionmaker[AsyncSession]
DAY = date(2026, 11, 20)
BEFORE_DEADLINE = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)  # 09:00, deadline 10:30
AFTER_DEADLINE = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)  # 11:00 in Ho Chi Minh City
EN = Translator("en")
EVERYTHING = IngestScope(None, None)
FILE = "Order.all.20261120.xlsx sha256:" + "ab" * 32
GOOD_DAY: dict[str, float] = {
    "gmv": 12_500_000,
    "nmv": 11_000_000,
    "orders": 85,
    "cancelled": 1,
    "returned": 2,
    "traffic": 3200,
    "ads_cost": 1_000_000,
}


@pytest.fixture
async def org(session_factory: SF, clock: FrozenClock) -> OrgConfig:
    async with session_factory() as session, session.begin():
        org = await sync_demo_org(session)
        now = clock.now()
        await add_person(
            session, 5001, "Minh", "staff", department="growth", stores=["HS-SHOPEE"], now=now
        )
        await add_person(session, 5002, "Tuấn", "manager", department="growth", now=now)
    return org


async def member(session: AsyncSession, telegram_id: int) -> Member:
    found = await session.scalar(select(Member).where(Member.telegram_id == telegram_id))
    assert found is not None
    return found


async def subject(session: AsyncSession, code: str) -> str:
    found = await session.scalar(select(Store.id).where(Store.code == code))
    assert found is not None
    return f"store:{found}"


async def apply(
    session_factory: SF,
    org: OrgConfig,
    items: Sequence[DayValues],
    *,
    source: str = "import:shopee_vn",
    detail: str | None = FILE,
    actor: int | None = None,
    now: datetime = BEFORE_DEADLINE,
) -> list[ItemResult]:
    async with session_factory() as session, session.begin():
        actor_id = (await member(session, actor)).id if actor else None
        return await ingest.apply_items(
            session,
            org,
            items,
            EVERYTHING,
            source=source,
            detail=detail,
            actor_id=actor_id,
            now=now,
            t=EN,
        )


async def chat_report(
    session_factory: SF, values: Mapping[str, float], day: date = DAY, code: str = "HS-SHOPEE"
) -> None:
    """What the chat form's save does (bot.services.report_form.save)."""
    async with session_factory() as session, session.begin():
        key = await subject(session, code)
        stored = await reports.load_report(session, key, "growth", day)
        minh = await member(session, 5001)
        await reports.save_report(
            session,
            subject_key=key,
            store_id=int(key.split(":")[1]),
            member_id=None,
            form="growth",
            business_date=day,
            values=values,
            expected_revision=stored.revision if stored else 0,
            actor_id=minh.id,
            now=BEFORE_DEADLINE,
            source="chat",
        )


async def revisions(session_factory: SF) -> list[tuple[int, str, float | None, str, str | None]]:
    async with session_factory() as session:
        rows = await session.scalars(
            select(ValueRevision).order_by(ValueRevision.revision, ValueRevision.metric)
        )
        return [(r.revision, r.metric, r.new_value, r.source, r.source_detail) for r in rows]


async def stored(session_factory: SF, code: str = "HS-SHOPEE", day: date = DAY) -> Any:
    async with session_factory() as session:
        return await reports.load_report(session, await subject(session, code), "growth", day)


async def test_revisions_carry_source_and_detail(session_factory: SF, org: OrgConfig) -> None:
    (result,) = await apply(session_factory, org, [DayValues("HS-SHOPEE", DAY, {"gmv": 5e6})])

    assert result.status == "created" and result.revision == 1
    assert result.changes == (ValueChange("gmv", None, 5e6, None, None),)
    assert await revisions(session_factory) == [(1, "gmv", 5e6, "import:shopee_vn", FILE)]


async def test_only_supplied_metrics_change(session_factory: SF, org: OrgConfig) -> None:
    await chat_report(session_factory, GOOD_DAY)

    (result,) = await apply(
        session_factory,
        org,
        [DayValues("HS-SHOPEE", DAY, {"gmv": 13_000_000, "orders": 85})],
        source="api:n8n-shopee",
        detail=None,
    )

    assert result.status == "updated" and result.revision == 2
    assert result.changes == (ValueChange("gmv", 12_500_000, 13_000_000, "Minh", "chat"),)
    assert result.unchanged == ("orders",)
    report = await stored(session_factory)
    assert report.values == {**GOOD_DAY, "gmv": 13_000_000}
    assert (await revisions(session_factory))[-1] == (2, "gmv", 13e6, "api:n8n-shopee", None)


async def test_a_second_identical_apply_writes_nothing(session_factory: SF, org: OrgConfig) -> None:
    items = [DayValues("HS-SHOPEE", DAY, GOOD_DAY), DayValues("HS-TIKTOK", DAY, {"orders": 3})]
    first = await apply(session_factory, org, items)
    written = await revisions(session_factory)

    again = await apply(session_factory, org, items)

    assert [r.status for r in first] == ["created", "created"]
    assert [(r.status, r.revision, r.changes) for r in again] == [
        ("unchanged", 1, ()),
        ("unchanged", 1, ()),
    ]
    assert set(again[0].unchanged) == set(GOOD_DAY)
    assert await revisions(session_factory) == written
    assert (await stored(session_factory)).revision == 1


async def test_a_rejected_item_writes_nothing_and_others_still_do(
    session_factory: SF, org: OrgConfig
) -> None:
    results = await apply(
        session_factory,
        org,
        [
            DayValues("HS-SHOPEE", DAY, {"gmv": 1e6, "nmv": 2e6}),  # nmv > gmv
            DayValues("HS-TIKTOK", DAY, {"gmv": 1e6}),
        ],
    )
    assert [r.status for r in results] == ["rejected", "created"]
    assert await stored(session_factory) is None
    assert (await stored(session_factory, "HS-TIKTOK")).values == {"gmv": 1e6}


async def test_chat_then_import_keeps_both_revisions(session_factory: SF, org: OrgConfig) -> None:
    await chat_report(session_factory, {"gmv": 12_000_000, "orders": 80})

    (result,) = await apply(
        session_factory,
        org,
        [DayValues("HS-SHOPEE", DAY, {"gmv": 12_500_000, "orders": 85, "cancelled": 3})],
        actor=5002,
    )

    assert result.status == "updated" and result.revision == 2
    assert {c.metric: (c.old, c.old_by, c.old_source) for c in result.changes} == {
        "gmv": (12_000_000, "Minh", "chat"),
        "orders": (80, "Minh", "chat"),
        "cancelled": (None, None, None),
    }
    assert await revisions(session_factory) == [
        (1, "gmv", 12_000_000, "chat", None),
        (1, "orders", 80, "chat", None),
        (2, "cancelled", 3, "import:shopee_vn", FILE),
        (2, "gmv", 12_500_000, "import:shopee_vn", FILE),
        (2, "orders", 85, "import:shopee_vn", FILE),
    ]
    async with session_factory() as session:
        tuan = await member(session, 5002)
        history = await report_history.store_history(session, org, tuan, "HS-SHOPEE", DAY)
    assert history is not None
    entries = {(e.revision, e.metric): e for _, e in history.entries}
    assert entries[(1, "gmv")].source == "chat" and entries[(1, "gmv")].changed_by == "Minh"
    assert entries[(2, "gmv")].source == "import:shopee_vn"
    assert entries[(2, "gmv")].detail == FILE and entries[(2, "gmv")].changed_by == "Tuấn"
    text = history_text(history.label, history.entries, org, EN, history.metric_order)
    assert "revision 1" in text and "typed in chat" in text
    assert "file import shopee_vn: Order.all.20261120.xlsx" in text


async def test_an_api_push_then_a_chat_correction(session_factory: SF, org: OrgConfig) -> None:
    await apply(
        session_factory,
        org,
        [DayValues("HS-SHOPEE", DAY, {"gmv": 9e6})],
        source="api:n8n-shopee",
        detail=None,
    )
    await chat_report(session_factory, {"gmv": 9.5e6})

    (result,) = await apply(
        session_factory,
        org,
        [DayValues("HS-SHOPEE", DAY, {"gmv": 9e6})],
        source="api:n8n-shopee",
        detail=None,
    )

    assert result.changes == (ValueChange("gmv", 9.5e6, 9e6, "Minh", "chat"),)
    sources = [(r[0], r[3]) for r in await revisions(session_factory)]
    assert sources == [(1, "api:n8n-shopee"), (2, "chat"), (3, "api:n8n-shopee")]


async def test_someone_saving_in_between_is_retried_once(
    session_factory: SF, org: OrgConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    await chat_report(session_factory, {"gmv": 1e6, "orders": 10})
    real_save = reports.save_report
    calls: list[int] = []

    async def racing_save(session: AsyncSession, **kwargs: Any) -> Any:
        calls.append(kwargs["expected_revision"])
        if len(calls) == 1:  # a chat save lands between the read and the write
            await real_save(session, **{**kwargs, "values": {"orders": 12}, "source": "chat"})
        return await real_save(session, **kwargs)

    monkeypatch.setattr(reports, "save_report", racing_save)

    (result,) = await apply(session_factory, org, [DayValues("HS-SHOPEE", DAY, {"gmv": 2e6})])

    assert calls == [1, 2]
    assert result.status == "updated" and result.revision == 3
    assert (await stored(session_factory)).values == {"gmv": 2e6, "orders": 12}


async def test_a_late_import_re_evaluates_the_alerts(session_factory: SF, org: OrgConfig) -> None:
    for day in (DAY - timedelta(days=1), DAY):
        for store in org.stores:
            await chat_report(session_factory, GOOD_DAY, day=day, code=store.code)
    bad = {"cancelled": 12, "ads_cost": 5_000_000}  # cancel rate 14 %, ROAS 2.5

    # Before the deadline the day is not judged yet: nothing opens.
    await apply(session_factory, org, [DayValues("HS-SHOPEE", DAY, {"cancelled": 12})])
    async with session_factory() as session:
        assert (await session.scalars(select(AlertState))).all() == []

    (result,) = await apply(
        session_factory, org, [DayValues("HS-SHOPEE", DAY, bad)], now=AFTER_DEADLINE
    )

    assert result.status == "updated"
    async with session_factory() as session:
        states = (await session.scalars(select(AlertState).order_by(AlertState.rule_id))).all()
        queued = (await session.scalars(select(OutboxMessage))).all()
    assert [(s.rule_id, s.state, s.period) for s in states] == [
        ("cancel-rate", "open", "2026-11-20"),
        ("roas-low", "open", "2026-11-20"),
    ]
    assert queued and all(m.kind == "alert" for m in queued)


async def test_the_export_lists_every_revision_with_its_source(
    session_factory: SF, org: OrgConfig
) -> None:
    await chat_report(session_factory, {"gmv": 12_000_000})
    await apply(
        session_factory,
        org,
        [DayValues("HS-SHOPEE", DAY, {"gmv": 12_500_000})],
        detail="=HYPERLINK(1).xlsx sha256:" + "0" * 64,
    )
    await apply(
        session_factory,
        org,
        [DayValues("HS-TIKTOK", DAY, {"orders": 7})],
        source="api:n8n-tiktok",
        detail=None,
    )
    async with session_factory() as session:
        request = ExportRequest(org, await everything_scope(session), YearMonth(2026, 11), DAY, EN)
        sheet = await revisions_sheet(session, request)

    assert sheet is not None
    assert [c.header for c in sheet.columns][-3:] == ["Entered by", "Source", "Source detail"]
    assert [(r[1], r[2], r[3], r[4], r[5], r[7], r[8]) for r in sheet.rows] == [
        ("HS-SHOPEE", 1, "GMV", None, 12_000_000, "Minh", "typed in chat"),
        (
            "HS-SHOPEE",
            2,
            "GMV",
            12_000_000,
            12_500_000,
            None,
            "file import shopee_vn: =HYPERLINK(1).xlsx",
        ),
        ("HS-TIKTOK", 1, "Orders", None, 7, None, "API n8n-tiktok"),
    ]
    assert sheet.rows[1][9] == " =HYPERLINK(1).xlsx sha256:" + "0" * 64  # never a formula
