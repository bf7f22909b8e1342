"""How urgent a queued message is (the outbox sends the lowest value first) and how long it is
worth sending."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum


class Priority(IntEnum):
    """Alerts before notices before escalations before reminders before digests.

    The values are stored in ``outbox.priority``: rows queued before a change keep theirs.
    """

    ALERT = 10  # a KPI breach, or its escalation
    NOTICE = 30  # a person is waiting: order cards, days off, a member who blocked the bot
    ESCALATION = 40  # who still owes a report, told to their managers
    REMINDER = 50  # a member's own report or order is due
    DIGEST = 90  # daily, weekly and monthly summaries


@dataclass(frozen=True)
class Lifetime:
    """How long a queued message of one kind is worth sending.

    ``ttl`` counts from queueing (None: it never goes stale); a job that knows a better end
    (a report deadline, the end of a day) passes ``expires_at`` itself. A stale message is
    never sent late: it is marked ``expired`` and, when ``summarised``, named in one "while the
    bot was offline" message to its chat.
    """

    ttl: timedelta | None
    summarised: bool = True


NEVER_STALE = Lifetime(None)
LIFETIMES: dict[str, Lifetime] = {
    # A reminder is worth sending until its deadline is past by more than the grace window;
    # the reminder job sets exactly that. A nudge only until the deadline, when the reminder
    # takes over: it is dropped without a word.
    "reminder": Lifetime(timedelta(hours=4)),
    "nudge": Lifetime(timedelta(hours=2), summarised=False),
    # Who still owes yesterday's report: news only on the day it is sent.
    "escalation": Lifetime(timedelta(hours=12)),
    # A KPI alert still matters hours later, unless a newer message about the same store
    # replaced it (the outbox's ``subject``); after a day the digests and /kpi tell it better.
    "alert": Lifetime(timedelta(hours=24)),
    "digest": Lifetime(timedelta(hours=24)),
    "order_summary": Lifetime(timedelta(hours=12)),
    # A person is waiting on these: better late than never, within reason.
    "order": Lifetime(timedelta(days=7)),
    "day_off": Lifetime(timedelta(days=7)),
    "unreachable": Lifetime(timedelta(days=3)),
}


def lifetime_of(kind: str) -> Lifetime:
    """The lifetime of a message kind; ``order_*`` kinds share the order notices' one."""
    if kind in LIFETIMES:
        return LIFETIMES[kind]
    if kind.startswith("order_"):
        return LIFETIMES["order"]
    return NEVER_STALE


def default_expiry(kind: str, queued_at: datetime) -> datetime | None:
    """When a message of ``kind`` queued at ``queued_at`` goes stale (None: never)."""
    ttl = lifetime_of(kind).ttl
    return None if ttl is None else queued_at + ttl
