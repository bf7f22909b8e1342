"""The life of an order request (or a follow-up task) as a pure state machine.

    submitted ─approve─▶ approved ─assign─▶ assigned ─start─▶ in_progress ─deliver─▶ delivered
    submitted ─assign─▶ assigned (approves and assigns in one step)
    submitted / approved ─reject(reason)─▶ rejected
    delivered ─accept─▶ accepted;  delivered ─reopen(reason)─▶ reopened ─start/deliver─▶ …
    submitted / approved / assigned ─cancel (requester, before work starts)─▶ cancelled

Who may act is a set of *parts* the actor plays for this order: its requester (the creator of
a task), a manager of its target department, its assignee, or an admin. The caller works those
out from the database; this module only decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    DELIVERED = "delivered"
    REOPENED = "reopened"
    ACCEPTED = "accepted"
    CANCELLED = "cancelled"


class Action(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    ASSIGN = "assign"
    START = "start"
    DELIVER = "deliver"
    ACCEPT = "accept"
    REOPEN = "reopen"
    CANCEL = "cancel"


class Part(StrEnum):
    """The part a member plays for one order."""

    REQUESTER = "requester"
    MANAGER = "manager"  # a manager of the order's target department
    ASSIGNEE = "assignee"
    ADMIN = "admin"


TERMINAL = frozenset({Status.REJECTED, Status.ACCEPTED, Status.CANCELLED})
# Statuses where somebody still owes work (used by views, SLA reminders, the morning summary).
OPEN = frozenset(Status) - TERMINAL
WORKING = frozenset({Status.ASSIGNED, Status.IN_PROGRESS, Status.REOPENED})


@dataclass(frozen=True)
class Rule:
    sources: frozenset[Status]
    target: Status
    parts: frozenset[Part]
    needs_note: bool = False  # a reason (reject, reopen) must be given
    needs_deliverable: bool = False  # a link, a file or a note


_DECIDERS = frozenset({Part.MANAGER, Part.ADMIN})

RULES: dict[Action, Rule] = {
    Action.APPROVE: Rule(frozenset({Status.SUBMITTED}), Status.APPROVED, _DECIDERS),
    Action.REJECT: Rule(
        frozenset({Status.SUBMITTED, Status.APPROVED}), Status.REJECTED, _DECIDERS, needs_note=True
    ),
    Action.ASSIGN: Rule(
        frozenset({Status.SUBMITTED, Status.APPROVED, Status.ASSIGNED}), Status.ASSIGNED, _DECIDERS
    ),
    Action.START: Rule(
        frozenset({Status.ASSIGNED, Status.REOPENED}),
        Status.IN_PROGRESS,
        frozenset({Part.ASSIGNEE}),
    ),
    Action.DELIVER: Rule(
        frozenset({Status.IN_PROGRESS, Status.REOPENED}),
        Status.DELIVERED,
        frozenset({Part.ASSIGNEE}),
        needs_deliverable=True,
    ),
    Action.ACCEPT: Rule(
        frozenset({Status.DELIVERED}), Status.ACCEPTED, frozenset({Part.REQUESTER})
    ),
    Action.REOPEN: Rule(
        frozenset({Status.DELIVERED}), Status.REOPENED, frozenset({Part.REQUESTER}), needs_note=True
    ),
    Action.CANCEL: Rule(
        frozenset({Status.SUBMITTED, Status.APPROVED, Status.ASSIGNED}),
        Status.CANCELLED,
        frozenset({Part.REQUESTER, Part.ADMIN}),
    ),
}


class Verdict(StrEnum):
    OK = "ok"
    NOT_ALLOWED = "not_allowed"  # this actor plays no part that may do it
    WRONG_STATUS = "wrong_status"  # the order moved on (a stale button) or is closed
    NOTE_REQUIRED = "note_required"


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    target: Status | None = None

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.OK


def decide(
    status: Status | str,
    action: Action | str,
    parts: frozenset[Part] | set[Part],
    *,
    note: str | None = None,
    has_deliverable: bool = False,
) -> Decision:
    """May an actor playing ``parts`` do ``action`` on an order in ``status``?

    Permission is checked before status, so a member of another department pressing an old
    Approve button learns they may not approve rather than what happened meanwhile.
    """
    rule = RULES.get(Action(action))
    if rule is None:
        return Decision(Verdict.NOT_ALLOWED)
    if not rule.parts & set(parts):
        return Decision(Verdict.NOT_ALLOWED)
    if Status(status) not in rule.sources:
        return Decision(Verdict.WRONG_STATUS)
    if rule.needs_note and not (note and note.strip()):
        return Decision(Verdict.NOTE_REQUIRED)
    if rule.needs_deliverable and not (has_deliverable or (note and note.strip())):
        return Decision(Verdict.NOTE_REQUIRED)
    return Decision(Verdict.OK, rule.target)


def available_actions(status: Status | str, parts: frozenset[Part] | set[Part]) -> list[Action]:
    """Actions an actor playing ``parts`` could start now, in a stable order (for buttons)."""
    current = Status(status)
    return [
        action
        for action, rule in RULES.items()
        if current in rule.sources and rule.parts & set(parts)
    ]


def is_overdue(status: Status | str, deadline_ts: float | None, now_ts: float) -> bool:
    """Past its deadline with work still owed (delivered work waits for the requester only)."""
    current = Status(status)
    if deadline_ts is None or current in TERMINAL or current is Status.DELIVERED:
        return False
    return now_ts > deadline_ts
