"""How urgent a queued message is: the outbox sends the lowest value first."""

from __future__ import annotations

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
