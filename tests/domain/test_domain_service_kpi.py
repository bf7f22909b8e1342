"""Service-department KPIs over a generated history of 200 requests, against values computed
directly from what the generator knows of each request (not from its events)."""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.service_kpi import (
    EventRecord,
    RequestRecord,
    Window,
    percentile,
    service_kpi,
)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
WINDOW = Window(NOW - timedelta(days=28), NOW)


@dataclass
class Truth:
    """What the generator decided for one request, kept apart from its events."""

    submitted: datetime
    deadline: datetime | None
    first_delivery: datetime | None = None
    accepted: datetime | None = None
    decided: datetime | None = None
    reopened: bool = False
    dropped: bool = False  # cancelled or rejected before any delivery
    owed: bool = False  # open, not delivered, at NOW


def _hours(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(hours=rng.uniform(low, high))


def generate(count: int = 200, seed: int = 15) -> tuple[list[RequestRecord], list[Truth]]:
    rng = random.Random(seed)
    records, truths = [], []
    for number in range(1, count + 1):
        submitted = NOW - timedelta(minutes=rng.randrange(0, 70 * 24 * 60))
        deadline = None if rng.random() < 0.1 else submitted + _hours(rng, 24, 120)
        truth = Truth(submitted, deadline)
        steps: list[tuple[datetime, str, str]] = []
        at = submitted
        roll = rng.random()
        if roll < 0.06:
            steps.append((at + _hours(rng, 0.5, 30), "cancel", "cancelled"))
        elif roll < 0.12:
            steps.append((at + _hours(rng, 0.5, 30), "reject", "rejected"))
        else:
            at += _hours(rng, 0.2, 20)
            steps.append((at, "approve", "approved"))
            at += _hours(rng, 0.1, 5)
            steps.append((at, "assign", "assigned"))
            at += _hours(rng, 0.5, 12)
            steps.append((at, "start", "in_progress"))
            at += _hours(rng, 2, 100)
            steps.append((at, "deliver", "delivered"))
            for _ in range(rng.choice([0, 0, 0, 0, 1, 1, 2])):
                at += _hours(rng, 1, 30)
                steps.append((at, "reopen", "reopened"))
                at += _hours(rng, 1, 40)
                steps.append((at, "deliver", "delivered"))
            at += _hours(rng, 0.5, 48)
            steps.append((at, "accept", "accepted"))
        happened = [step for step in steps if step[0] < NOW]
        status = happened[-1][2] if happened else "submitted"
        for when, action, _ in happened:
            if action in ("approve", "assign", "reject") and truth.decided is None:
                truth.decided = when
            if action == "deliver" and truth.first_delivery is None:
                truth.first_delivery = when
            if action == "reopen":
                truth.reopened = True
            if action == "accept":
                truth.accepted = when
        truth.dropped = status in ("cancelled", "rejected")
        truth.owed = status in ("submitted", "approved", "assigned", "in_progress", "reopened")
        assignee = 10 + number % 4 if any(a == "assign" for _, a, _ in happened) else None
        events = tuple(EventRecord(when, action, to) for when, action, to in happened)
        records.append(RequestRecord(number, submitted, status, deadline, assignee, events))
        truths.append(truth)
    return records, truths


def inside(at: datetime | None) -> bool:
    return at is not None and WINDOW.start <= at < NOW


def nearest_rank(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(p * len(ordered)) - 1]


@pytest.fixture(scope="module")
def history() -> tuple[list[RequestRecord], list[Truth]]:
    return generate()


def test_history_has_every_kind_of_request(history) -> None:
    records, truths = history
    statuses = {r.status for r in records}
    assert {"cancelled", "rejected", "accepted", "delivered", "in_progress"} <= statuses
    assert sum(t.reopened for t in truths) >= 20
    assert sum(t.dropped for t in truths) >= 15


def test_cycle_time_percentiles(history) -> None:
    records, truths = history
    cycles = [
        (t.accepted - t.submitted).total_seconds() / 3600 for t in truths if inside(t.accepted)
    ]
    kpi = service_kpi(records, WINDOW, TZ)
    assert kpi.accepted == len(cycles) > 30
    assert kpi.cycle_p50_hours == pytest.approx(statistics.median_low(cycles))
    assert kpi.cycle_p90_hours == pytest.approx(nearest_rank(cycles, 0.9))


def test_approval_wait(history) -> None:
    records, truths = history
    waits = [(t.decided - t.submitted).total_seconds() / 3600 for t in truths if inside(t.decided)]
    kpi = service_kpi(records, WINDOW, TZ)
    assert kpi.approval_p50_hours == pytest.approx(statistics.median_low(waits))
    assert kpi.approval_p90_hours == pytest.approx(nearest_rank(waits, 0.9))


def test_on_time_rate_counts_open_overdue_as_late_and_leaves_dropped_out(history) -> None:
    records, truths = history
    due = [t for t in truths if inside(t.deadline) and not t.dropped]
    on_time = [
        t
        for t in due
        if t.first_delivery is not None and t.deadline and t.first_delivery <= t.deadline
    ]
    kpi = service_kpi(records, WINDOW, TZ)
    assert (kpi.due, kpi.on_time) == (len(due), len(on_time))
    assert 0 < kpi.on_time < kpi.due
    assert kpi.on_time_rate == pytest.approx(len(on_time) / len(due))
    # An open request past its deadline is among the late ones.
    assert any(t.owed for t in due)


def test_reopen_rate(history) -> None:
    records, truths = history
    delivered = [t for t in truths if inside(t.first_delivery)]
    reopened = [t for t in delivered if t.reopened]
    kpi = service_kpi(records, WINDOW, TZ)
    assert (kpi.delivered, kpi.reopened) == (len(delivered), len(reopened))
    assert kpi.reopen_rate == pytest.approx(len(reopened) / len(delivered))


def test_backlog_weeks_and_assignees_add_up(history) -> None:
    records, truths = history
    kpi = service_kpi(records, WINDOW, TZ, weeks=12)
    assert kpi.open_total == sum(t.owed for t in truths)
    ages = [(NOW - t.submitted).days for t in truths if t.owed]
    assert dict(kpi.backlog)["gt7d"] == sum(1 for a in ages if a >= 7)
    assert dict(kpi.backlog)["lt1d"] == sum(1 for a in ages if a < 1)
    # 12 weeks reach back past the 70 days of history: every request is received once.
    assert sum(w.received for w in kpi.weeks) == len(records)
    assert sum(w.delivered for w in kpi.weeks) == sum(t.first_delivery is not None for t in truths)
    assert sum(a.delivered for a in kpi.assignees) == kpi.delivered
    assert sum(a.due for a in kpi.assignees) == kpi.due
    assert sum(a.on_time for a in kpi.assignees) == kpi.on_time
    assert sum(a.open for a in kpi.assignees) <= kpi.open_total


def test_a_request_sent_back_counts_once_and_keeps_its_first_delivery() -> None:
    start = NOW - timedelta(days=3)
    events = (
        EventRecord(start + timedelta(hours=1), "assign", "assigned"),
        EventRecord(start + timedelta(hours=2), "start", "in_progress"),
        EventRecord(start + timedelta(hours=10), "deliver", "delivered"),
        EventRecord(start + timedelta(hours=20), "reopen", "reopened"),
        EventRecord(start + timedelta(hours=30), "deliver", "delivered"),
        EventRecord(start + timedelta(hours=40), "accept", "accepted"),
    )
    request = RequestRecord(1, start, "accepted", start + timedelta(hours=12), 7, events)
    kpi = service_kpi([request], WINDOW, TZ)
    assert (kpi.delivered, kpi.reopened, kpi.due, kpi.on_time) == (1, 1, 1, 1)
    assert kpi.cycle_p50_hours == pytest.approx(40)
    assert kpi.approval_p50_hours == pytest.approx(1)
    assert sum(w.delivered for w in kpi.weeks) == 1


def test_percentile_nearest_rank() -> None:
    assert percentile([], 0.5) is None
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.0
    assert percentile([float(v) for v in range(1, 11)], 0.9) == 9.0
