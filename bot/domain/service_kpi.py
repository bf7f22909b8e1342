"""The KPIs of a department that receives order requests, computed from plain event records.

Definitions (every figure is over requests of ``kind`` "order"; follow-up tasks are not
requests and are left out by the caller):

* **submitted** is the request's creation instant; **week** is the ISO week (Monday first) of a
  local date in the org timezone.
* **In** per week: requests submitted that week, whatever became of them (cancelled and
  rejected ones were still received).
* **Delivered** per week: requests whose *first* delivery happened that week. A request sent
  back and delivered again counts once, in the week of its first delivery.
* **Cycle time**: submission to the (last) acceptance, in hours, for requests accepted inside
  the window. Time spent on rework after a reopen is part of it. Cancelled and rejected
  requests have none.
* **Approval wait**: submission to the first decision (approve, assign — which approves — or
  reject), for requests decided inside the window. A request cancelled before any decision
  has none.
* **On-time rate**: of the requests with a deadline inside the window that has already passed
  (``deadline <= now``), the share whose first delivery came at or before the deadline.
  Requests still open past their deadline count as late; requests cancelled or rejected before
  any delivery are left out (nothing was owed any more). A reopened request was delivered on
  time if its first delivery was: sending work back counts in the reopen rate instead.
* **Reopen rate**: of the requests first delivered inside the window, the share sent back at
  least once (up to now).
* **Backlog**: requests the department still owes work on at ``now`` (open, not yet delivered:
  submitted, approved, assigned, in progress, reopened), by age since submission.
* **Per assignee**: the request's current assignee; delivered, cycle-time median, on-time and
  reopened counts with the same definitions, plus their open backlog.

Percentiles use the nearest-rank method: the value at rank ``ceil(p * n)`` of the sorted list.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from functools import cached_property

from bot.domain.order_workflow import Action, Status

# Ages of open requests, in days: [0, 1), [1, 3), [3, 7), [7, ∞).
AGE_BUCKETS: tuple[tuple[str, float, float], ...] = (
    ("lt1d", 0.0, 1.0),
    ("d1_3", 1.0, 3.0),
    ("d3_7", 3.0, 7.0),
    ("gt7d", 7.0, math.inf),
)
DECISIONS = frozenset({Action.APPROVE, Action.ASSIGN, Action.REJECT})
OWED = frozenset(
    {Status.SUBMITTED, Status.APPROVED, Status.ASSIGNED, Status.IN_PROGRESS, Status.REOPENED}
)
_HOUR = 3600.0


@dataclass(frozen=True)
class EventRecord:
    """One transition of a request (``order_events``)."""

    at: datetime
    action: str
    to_status: str


@dataclass(frozen=True)
class RequestRecord:
    """One request with its events in the order they happened."""

    id: int
    submitted_at: datetime
    status: str
    deadline: datetime | None
    assignee_id: int | None
    events: tuple[EventRecord, ...]

    def first(self, actions: Iterable[str]) -> datetime | None:
        wanted = set(actions)
        return next((e.at for e in self.events if e.action in wanted), None)

    def last(self, action: str) -> datetime | None:
        return next((e.at for e in reversed(self.events) if e.action == action), None)

    # Cached: every figure asks for these, for thousands of requests in one view.
    @cached_property
    def first_delivered(self) -> datetime | None:
        return self.first([Action.DELIVER])

    @cached_property
    def decided_at(self) -> datetime | None:
        return self.first(DECISIONS)

    @cached_property
    def accepted_at(self) -> datetime | None:
        return self.last(Action.ACCEPT) if self.status == Status.ACCEPTED else None

    @cached_property
    def reopened(self) -> bool:
        return any(e.action == Action.REOPEN for e in self.events)

    @cached_property
    def dropped_undelivered(self) -> bool:
        """Cancelled or rejected before any delivery: nothing is owed any more."""
        return self.status in (Status.CANCELLED, Status.REJECTED) and self.first_delivered is None


@dataclass(frozen=True)
class Window:
    """The instants [start, end) the rates and times are measured over; ``end`` is now."""

    start: datetime
    end: datetime

    def holds(self, at: datetime | None) -> bool:
        return at is not None and self.start <= at < self.end


@dataclass(frozen=True)
class WeekCount:
    week_start: date
    received: int
    delivered: int


@dataclass(frozen=True)
class AssigneeKpi:
    assignee_id: int
    delivered: int
    cycle_p50_hours: float | None
    on_time: int
    due: int
    reopened: int
    open: int

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.due if self.due else None


@dataclass(frozen=True)
class ServiceKpi:
    window: Window
    weeks: tuple[WeekCount, ...]
    accepted: int
    cycle_p50_hours: float | None
    cycle_p90_hours: float | None
    approval_p50_hours: float | None
    approval_p90_hours: float | None
    due: int
    on_time: int
    delivered: int  # first delivered inside the window
    reopened: int  # of those, sent back at least once
    backlog: tuple[tuple[str, int], ...]  # (bucket key, count) in AGE_BUCKETS order
    assignees: tuple[AssigneeKpi, ...]

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.due if self.due else None

    @property
    def reopen_rate(self) -> float | None:
        return self.reopened / self.delivered if self.delivered else None

    @property
    def open_total(self) -> int:
        return sum(count for _, count in self.backlog)

    @property
    def has_data(self) -> bool:
        return any(w.received or w.delivered for w in self.weeks) or bool(self.open_total)


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest rank: the smallest value with at least ``p`` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p * len(ordered)))
    return ordered[rank - 1]


def week_start(at: datetime, tz: tzinfo) -> date:
    day = at.astimezone(tz).date()
    return day - timedelta(days=day.weekday())


def cycle_hours(request: RequestRecord) -> float | None:
    accepted = request.accepted_at
    if accepted is None:
        return None
    return (accepted - request.submitted_at).total_seconds() / _HOUR


def approval_hours(request: RequestRecord) -> float | None:
    decided = request.decided_at
    if decided is None:
        return None
    return (decided - request.submitted_at).total_seconds() / _HOUR


def is_due(request: RequestRecord, window: Window) -> bool:
    """Counted in the on-time rate of ``window``: a passed deadline inside it, still owed."""
    deadline = request.deadline
    return deadline is not None and window.holds(deadline) and not request.dropped_undelivered


def delivered_on_time(request: RequestRecord) -> bool:
    delivered = request.first_delivered
    return request.deadline is not None and delivered is not None and delivered <= request.deadline


def age_bucket(request: RequestRecord, now: datetime) -> str:
    days = (now - request.submitted_at).total_seconds() / 86400
    for key, low, high in AGE_BUCKETS:
        if low <= days < high:
            return key
    return AGE_BUCKETS[0][0]  # submitted "in the future" by clock skew: newest


def weekly_counts(
    requests: Sequence[RequestRecord], weeks: Sequence[date], tz: tzinfo
) -> tuple[WeekCount, ...]:
    received = dict.fromkeys(weeks, 0)
    delivered = dict.fromkeys(weeks, 0)
    for request in requests:
        submitted = week_start(request.submitted_at, tz)
        if submitted in received:
            received[submitted] += 1
        first = request.first_delivered
        if first is not None and (week := week_start(first, tz)) in delivered:
            delivered[week] += 1
    return tuple(WeekCount(w, received[w], delivered[w]) for w in weeks)


def last_weeks(now: datetime, tz: tzinfo, count: int) -> tuple[date, ...]:
    """The Mondays of the ``count`` weeks up to and including the week of ``now``."""
    current = week_start(now, tz)
    return tuple(current - timedelta(weeks=count - 1 - i) for i in range(count))


def service_kpi(
    requests: Sequence[RequestRecord], window: Window, tz: tzinfo, *, weeks: int = 8
) -> ServiceKpi:
    """Every figure of the module docstring over ``window`` (weekly counts: the last
    ``weeks`` weeks up to ``window.end``)."""
    now = window.end
    cycles = [
        h for r in requests if window.holds(r.accepted_at) and (h := cycle_hours(r)) is not None
    ]
    approvals = [
        h for r in requests if window.holds(r.decided_at) and (h := approval_hours(r)) is not None
    ]
    due = [r for r in requests if is_due(r, window)]
    delivered = [r for r in requests if window.holds(r.first_delivered)]
    owed = [r for r in requests if r.status in OWED]
    backlog = {key: 0 for key, _, _ in AGE_BUCKETS}
    for request in owed:
        backlog[age_bucket(request, now)] += 1
    return ServiceKpi(
        window=window,
        weeks=weekly_counts(requests, last_weeks(now, tz, weeks), tz),
        accepted=len(cycles),
        cycle_p50_hours=percentile(cycles, 0.5),
        cycle_p90_hours=percentile(cycles, 0.9),
        approval_p50_hours=percentile(approvals, 0.5),
        approval_p90_hours=percentile(approvals, 0.9),
        due=len(due),
        on_time=sum(1 for r in due if delivered_on_time(r)),
        delivered=len(delivered),
        reopened=sum(1 for r in delivered if r.reopened),
        backlog=tuple(backlog.items()),
        assignees=_assignees(requests, window),
    )


def _assignees(requests: Sequence[RequestRecord], window: Window) -> tuple[AssigneeKpi, ...]:
    by_assignee: dict[int, list[RequestRecord]] = {}
    for request in requests:
        if request.assignee_id is not None:
            by_assignee.setdefault(request.assignee_id, []).append(request)
    rows = []
    for assignee_id, own in by_assignee.items():
        delivered = [r for r in own if window.holds(r.first_delivered)]
        due = [r for r in own if is_due(r, window)]
        cycles = [
            h for r in own if window.holds(r.accepted_at) and (h := cycle_hours(r)) is not None
        ]
        rows.append(
            AssigneeKpi(
                assignee_id=assignee_id,
                delivered=len(delivered),
                cycle_p50_hours=percentile(cycles, 0.5),
                on_time=sum(1 for r in due if delivered_on_time(r)),
                due=len(due),
                reopened=sum(1 for r in delivered if r.reopened),
                open=sum(1 for r in own if r.status in OWED),
            )
        )
    rows.sort(key=lambda a: (-a.delivered, -a.open, a.assignee_id))
    return tuple(rows)
