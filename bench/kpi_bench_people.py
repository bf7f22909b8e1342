"""Campaigns and people of the KPI benchmark: 20 campaigns declared in the bench org (brands or
lists of stores, dates around the as-of date, a budget and targets on several metrics) and 300
members of the person-level departments, each with personal targets and two months of reports,
part of them tagged to a running campaign."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import kpi_bench_data as data
from sqlalchemy import select

from storage.models import Campaign, Member, PersonTarget
from storage.repositories import catalog

CAMPAIGNS, PEOPLE = 20, 300
# Person-level departments of the demo org and how many of the 300 people work in each.
PERSON_DEPARTMENTS = (("livestream", 100), ("media", 80), ("booking", 60), ("design", 60))
PEOPLE_FIRST_TELEGRAM_ID = 20_000
PEOPLE_DAYS = 61  # person reports over the last two months
TAGGED_SHARE = 0.3  # of the person reports on a day some campaign runs


def campaign_code(number: int) -> str:
    return f"SALE{number:02d}"


def campaign_configs() -> list[dict[str, Any]]:
    """The org file's campaigns: the first covers half of the brands over the as-of month;
    the others 2–4 brands or 8–30 listed stores, started 3–50 days before the as-of date and
    lasting 10–40 days (some over, most running); the last two still to come."""
    rng = random.Random(11)
    result = []
    for number in range(CAMPAIGNS):
        config: dict[str, Any] = {
            "code": campaign_code(number),
            "name": f"Chiến dịch khuyến mãi {number}",
        }
        if number == 0:
            start, end = data.AS_OF.replace(day=1), data.AS_OF.replace(day=30)
            brands = [f"B{b:02d}" for b in range(0, data.BRANDS, 2)]
        else:
            if number >= CAMPAIGNS - 2:
                start = data.AS_OF + timedelta(days=rng.randint(3, 10))
            else:
                start = data.AS_OF - timedelta(days=rng.randint(3, 50))
            end = start + timedelta(days=rng.randint(10, 40))
            first = rng.randrange(data.BRANDS)
            brands = [f"B{(first + i) % data.BRANDS:02d}" for i in range(rng.randint(2, 4))]
        if number % 2 == 0:
            config["brands"] = brands
            store_count = len(brands) * data.STORES // data.BRANDS
        else:
            store_count = rng.randint(8, 30)
            first = rng.randrange(data.STORES)
            picked = [(first + 17 * i) % data.STORES for i in range(store_count)]
            config["stores"] = [f"S{s:03d}" for s in picked]
        days = (end - start).days + 1
        scale = store_count * days * rng.uniform(0.8, 1.3)
        config |= {
            "start": start,
            "end": end,
            "budget": round(scale * 2600 / 1e6) * 1e6,  # ads_cost averages 2,500 a day
            "targets": {
                "gmv": round(scale * 22e6 / 1e6) * 1e6,
                "orders": round(scale * 2500),
                "traffic": round(scale * 2500),
                "videos": 4 * days,
            },
        }
        result.append(config)
    return result


def people_by_department() -> list[tuple[int, str]]:
    """(telegram id, department code) of the 300 people."""
    result = []
    telegram_id = PEOPLE_FIRST_TELEGRAM_ID
    for department, count in PERSON_DEPARTMENTS:
        for _ in range(count * PEOPLE // 300):
            result.append((telegram_id, department))
            telegram_id += 1
    return result


async def seed_people(session: Any, org: Any) -> tuple[list[tuple[int, str]], dict[str, int]]:
    """The people (with their monthly personal targets); returns (member id, department code)
    of each and the campaign ids by code."""
    departments = {d.code: d.id for d in await catalog.list_departments(session)}
    months = sorted({f"{d.year:04d}-{d.month:02d}" for d in _people_days()})
    people = []
    for telegram_id, department in people_by_department():
        member = Member(
            telegram_id=telegram_id,
            full_name=f"Nhân viên {telegram_id}",
            username=f"nv{telegram_id}",
            role="staff",
            department_id=departments[department],
            locale="vi",
            reachable=True,
            active=True,
            joined_at=data.NOW,
        )
        session.add(member)
        people.append((member, department))
    await session.flush()
    for member, department in people:
        form = org.form_for_department(department)
        for month in months:
            for field in form.metrics:
                if field.required is not False:
                    session.add(
                        PersonTarget(
                            member_id=member.id,
                            metric=field.key,
                            month=month,
                            target=30.0,
                            day_weights={},
                            updated_at=data.NOW,
                        )
                    )
    rows = (await session.execute(select(Campaign.code, Campaign.id))).all()
    return [(m.id, d) for m, d in people], {code: int(cid) for code, cid in rows}


def _people_days() -> list[date]:
    return [data.AS_OF - timedelta(days=n) for n in range(PEOPLE_DAYS - 1, -1, -1)]


def person_rows(
    people: list[tuple[int, str]],
    campaign_ids: dict[str, int],
    org: Any,
    first_report_id: int,
    first_value_id: int,
) -> tuple[list[tuple], list[tuple]]:
    """Reports (id, subject, member id, form, day, sent, campaign id) and their values (id,
    report id, subject, day, metric, value) of the people's last two months; about a third of
    those on a day some campaign runs are tagged to one of them."""
    rng = random.Random(13)
    running = [
        (c["start"], c["end"], campaign_ids[c["code"]])
        for c in campaign_configs()
        if c["code"] in campaign_ids
    ]
    reports, values = [], []
    report_id, value_id = first_report_id, first_value_id
    for day in _people_days():
        sent = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
        on = [cid for start, end, cid in running if start <= day <= end]
        for member_id, department in people:
            subject = f"member:{member_id}"
            tag = rng.choice(on) if on and rng.random() < TAGGED_SHARE else None
            reports.append((report_id, subject, member_id, department, day, sent, tag))
            for field in org.form_for_department(department).metrics:
                value_id += 1
                values.append((value_id, report_id, subject, day, field.key, rng.randint(0, 8)))
            report_id += 1
    return reports, values
