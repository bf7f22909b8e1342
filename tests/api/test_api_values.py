"""POST and GET /api/v1/values: validated like a chat report, written as revisions with source
api:<token>, scoped by the token, idempotent with a key, and re-evaluating late alerts."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from api_support import DAY, GOOD_DAY, NOW, Api, day_item
from sqlalchemy import func, select

from bot.services import alerts
from storage.models import (
    AlertState,
    ApiIdempotency,
    DailyValue,
    OutboxMessage,
    Report,
    Store,
    ValueRevision,
)
from storage.repositories import reports


async def store_id(api: Api, code: str) -> int:
    async with api.sessions() as session:
        found = await session.scalar(select(Store.id).where(Store.code == code))
    assert found is not None
    return found


async def stored_values(api: Api, code: str, day: date = DAY) -> dict[str, float]:
    sid = await store_id(api, code)
    async with api.sessions() as session:
        rows = await session.execute(
            select(DailyValue.metric, DailyValue.value).where(
                DailyValue.subject_key == f"store:{sid}", DailyValue.business_date == day
            )
        )
        return {metric: value for metric, value in rows.all()}


async def revision_rows(
    api: Api,
) -> list[tuple[int, str, float | None, float | None, str, str | None]]:
    async with api.sessions() as session:
        rows = await session.execute(
            select(
                ValueRevision.revision,
                ValueRevision.metric,
                ValueRevision.old_value,
                ValueRevision.new_value,
                ValueRevision.source,
                ValueRevision.source_detail,
            ).order_by(ValueRevision.id)
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def test_a_push_creates_updates_and_leaves_unchanged(api: Api) -> None:
    first = await api.push([day_item(**GOOD_DAY)])
    assert first.status_code == 200
    assert first.json() == {
        "results": [
            {"store": "HS-SHOPEE", "date": "2026-11-20", "status": "created", "revision": 1,
             "errors": []}
        ]
    }  # fmt: skip
    assert await stored_values(api, "HS-SHOPEE") == GOOD_DAY
    rows = await revision_rows(api)
    assert len(rows) == len(GOOD_DAY)
    assert {(r[0], r[4], r[5]) for r in rows} == {(1, "api:n8n", "test-flow")}

    again = await api.push([day_item(**GOOD_DAY)])
    assert again.json()["results"][0]["status"] == "unchanged"
    assert again.json()["results"][0]["revision"] == 1
    assert len(await revision_rows(api)) == len(GOOD_DAY)

    changed = await api.push([day_item(gmv=13_000_000)])
    assert changed.json()["results"][0] | {"errors": []} == {
        "store": "HS-SHOPEE", "date": "2026-11-20", "status": "updated", "revision": 2,
        "errors": [],
    }  # fmt: skip
    assert (await stored_values(api, "HS-SHOPEE"))["gmv"] == 13_000_000
    assert (await revision_rows(api))[-1][:4] == (2, "gmv", 12_500_000, 13_000_000)


async def test_rejected_items_write_nothing_and_the_others_are_kept_in_order(api: Api) -> None:
    items = [
        day_item("HS-TIKTOK", **GOOD_DAY),
        day_item("HS-SHOPEE", **{**GOOD_DAY, "nmv": 20_000_000}),  # nmv > gmv: cross-check
        day_item("HS-SHOPEE", DAY + timedelta(days=1), gmv=1),  # the 21st is not over
        day_item("hs-shopee", DAY - timedelta(days=1), orders=2.5),  # orders are whole
        day_item("TTSG-SHOPEE", **{"gmv": 1, "roas": 3}),  # roas is derived
        day_item("TTSG-Q1", gmv=2_000_000),
    ]
    answer = await api.push(items)
    results = answer.json()["results"]
    assert [r["status"] for r in results] == [
        "created", "rejected", "rejected", "rejected", "rejected", "created",
    ]  # fmt: skip
    assert [r["store"] for r in results] == [i["store"] for i in items]
    assert results[1]["errors"][0]["metric"] in ("nmv", "gmv")
    assert results[2]["errors"] == [
        {
            "metric": None,
            "message": "21/11/2026 is not over yet; the latest complete day is 20/11/2026.",
        }
    ]
    assert results[3]["errors"][0]["metric"] == "orders"
    assert results[4]["errors"][0]["metric"] == "roas"
    assert all(r["revision"] is None for r in results[1:5])
    assert await stored_values(api, "HS-SHOPEE") == {}
    assert await stored_values(api, "HS-TIKTOK") == GOOD_DAY
    assert await stored_values(api, "TTSG-Q1") == {"gmv": 2_000_000}


async def test_a_store_outside_the_scope_is_refused_like_an_unknown_store(api: Api) -> None:
    answer = await api.push(
        [day_item("HS-TIKTOK", gmv=1), day_item("NO-SUCH", gmv=1), day_item(gmv=5_000_000)],
        token="hs",
    )
    outside, unknown, own = answer.json()["results"]
    assert outside["status"] == unknown["status"] == "rejected"
    assert outside["errors"][0]["message"].replace("HS-TIKTOK", "X") == unknown["errors"][0][
        "message"
    ].replace("NO-SUCH", "X")
    assert own["status"] == "created"
    assert await stored_values(api, "HS-TIKTOK") == {}
    # reading is scoped the same way: another store is "not found", like one that does not exist
    params = {"from": "2026-11-01", "to": "2026-11-20"}
    hidden = await api.client.get(
        "/api/v1/values", params={**params, "store": "HS-TIKTOK"}, headers=api.auth("hs")
    )
    missing = await api.client.get(
        "/api/v1/values", params={**params, "store": "NO-SUCH"}, headers=api.auth("hs")
    )
    assert hidden.status_code == missing.status_code == 404
    kpi = await api.client.get("/api/v1/kpi/TTSG", headers=api.auth("hs"))
    assert kpi.status_code == 404
    # a department token reaches its department's stores
    growth = await api.push([day_item("GDAP-TIKTOK", gmv=3_000_000)], token="growth")
    assert growth.json()["results"][0]["status"] == "created"


async def test_a_push_and_a_chat_report_of_the_same_day_are_both_revisions(api: Api) -> None:
    sid = await store_id(api, "HS-SHOPEE")
    async with api.sessions() as session, session.begin():
        await reports.save_report(
            session, subject_key=f"store:{sid}", store_id=sid, member_id=None, form="growth",
            business_date=DAY, values=GOOD_DAY, expected_revision=0, actor_id=None,
            now=NOW - timedelta(hours=3), source="chat",
        )  # fmt: skip
    answer = await api.push([day_item(gmv=12_800_000, orders=86)])
    assert answer.json()["results"][0]["status"] == "updated"
    assert answer.json()["results"][0]["revision"] == 2
    rows = await revision_rows(api)
    assert {(r[0], r[4]) for r in rows} == {(1, "chat"), (2, "api:n8n")}
    assert sorted(r[1:4] for r in rows if r[0] == 2) == [
        ("gmv", 12_500_000, 12_800_000), ("orders", 85, 86),
    ]  # fmt: skip

    read = await api.client.get(
        "/api/v1/values",
        params={"store": "hs-shopee", "from": "2026-11-19", "to": "2026-11-20"},
        headers=api.auth("bi"),
    )
    assert read.status_code == 200
    assert read.json() == {
        "store": "HS-SHOPEE",
        "from": "2026-11-19",
        "to": "2026-11-20",
        "days": [
            {"date": "2026-11-20", "form": "growth", "revision": 2,
             "values": {**GOOD_DAY, "gmv": 12_800_000, "orders": 86}},
        ],
    }  # fmt: skip
    one = await api.client.get(
        "/api/v1/values",
        params={"store": "HS-SHOPEE", "from": "2026-11-20", "to": "2026-11-20", "metric": "gmv"},
        headers=api.auth("bi"),
    )
    assert one.json()["days"][0]["values"] == {"gmv": 12_800_000}


async def test_the_same_key_and_body_replays_the_first_answer_and_writes_nothing(api: Api) -> None:
    key = {"Idempotency-Key": "nightly-2026-11-20"}
    first = await api.push([day_item(**GOOD_DAY)], headers=key)
    assert first.status_code == 200 and first.json()["results"][0]["status"] == "created"
    # someone corrects the value meanwhile; the replay must not write it back
    await api.push([day_item(gmv=13_000_000)])
    before = await revision_rows(api)

    replay = await api.client.post(
        "/api/v1/values",
        content=b'{"items": [{"values": %s, "date": "2026-11-20", "store": "HS-SHOPEE"}],'
        b' "source": "test-flow"}' % _json(GOOD_DAY),
        headers={**api.auth(), **key, "Content-Type": "application/json"},
    )
    assert replay.status_code == 200
    assert replay.json() == first.json()
    assert replay.headers["idempotent-replayed"] == "true"
    assert await revision_rows(api) == before
    assert (await stored_values(api, "HS-SHOPEE"))["gmv"] == 13_000_000

    other = await api.push([day_item(**{**GOOD_DAY, "gmv": 1})], headers=key)
    assert other.status_code == 409
    assert other.json()["error"] == "idempotency_key_reused"
    assert await revision_rows(api) == before

    # another token may use the same key for its own request
    mine = await api.push([day_item(gmv=14_000_000)], token="hs", headers=key)
    assert mine.status_code == 200 and mine.json()["results"][0]["status"] == "updated"


async def test_a_key_is_forgotten_after_24_hours(api: Api) -> None:
    key = {"Idempotency-Key": "k1"}
    await api.push([day_item(gmv=1_000_000)], headers=key)
    await api.push([day_item(gmv=2_000_000)])
    api.clock.advance(timedelta(hours=24, seconds=1))
    again = await api.push([day_item(gmv=1_000_000)], headers=key)
    assert again.json()["results"][0]["status"] == "updated"
    assert "idempotent-replayed" not in again.headers
    assert (await stored_values(api, "HS-SHOPEE"))["gmv"] == 1_000_000
    async with api.sessions() as session:
        count = await session.scalar(select(func.count()).select_from(ApiIdempotency))
    assert count == 1


async def test_a_late_push_re_evaluates_the_stores_alerts(api: Api) -> None:
    # typed in chat before the deadline: fine, nothing evaluated yet
    sid = await store_id(api, "HS-SHOPEE")
    async with api.sessions() as session, session.begin():
        await reports.save_report(
            session, subject_key=f"store:{sid}", store_id=sid, member_id=None, form="growth",
            business_date=DAY, values=GOOD_DAY, expected_revision=0, actor_id=None,
            now=datetime(2026, 11, 21, 1, 0, tzinfo=NOW.tzinfo), source="chat",
        )  # fmt: skip
        run = await alerts.evaluate_alerts(session, api.org, DAY, NOW, store_ids=[sid])
    assert run.opened == 0
    # 11:00, after the deadline: the automation pushes a correction with 12 % cancelled
    late = await api.push([day_item(cancelled=10)])
    assert late.json()["results"][0]["status"] == "updated"
    async with api.sessions() as session:
        states = (await session.scalars(select(AlertState))).all()
        outbox = (await session.scalars(select(OutboxMessage))).all()
    assert [(s.rule_id, s.state, s.period) for s in states] == [
        ("cancel-rate", "open", "2026-11-20")
    ]
    assert sorted(m.chat_id for m in outbox) == [5001, 5002]  # the owner and the manager
    # and a second correction resolves it
    api.clock.advance(timedelta(hours=1))
    await api.push([day_item(cancelled=1)])
    async with api.sessions() as session:
        states = (await session.scalars(select(AlertState))).all()
    assert [s.state for s in states] == ["resolved"]


async def test_one_transaction_for_the_whole_request(api: Api) -> None:
    async with api.sessions() as session:
        before = await session.scalar(select(func.count()).select_from(Report))
    answer = await api.push([day_item(s, **GOOD_DAY) for s in ("HS-SHOPEE", "HS-TIKTOK")])
    assert [r["status"] for r in answer.json()["results"]] == ["created", "created"]
    async with api.sessions() as session:
        after = await session.scalar(select(func.count()).select_from(Report))
        changed = set((await session.scalars(select(Report.updated_at))).all())
    assert (after or 0) - (before or 0) == 2
    assert changed == {NOW}


def _json(values: dict[str, float]) -> bytes:
    """The same values in another key order: the same body all the same."""
    return json.dumps(dict(reversed(list(values.items())))).encode()
