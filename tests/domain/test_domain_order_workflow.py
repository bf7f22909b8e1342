"""The order state machine: who may do what from which status."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.order_workflow import (
    OPEN,
    RULES,
    TERMINAL,
    Action,
    Part,
    Status,
    Verdict,
    available_actions,
    decide,
    is_overdue,
)

MANAGER = frozenset({Part.MANAGER})
REQUESTER = frozenset({Part.REQUESTER})
ASSIGNEE = frozenset({Part.ASSIGNEE})


def test_the_happy_path_with_one_reopen() -> None:
    steps = [
        (Status.SUBMITTED, Action.APPROVE, MANAGER, None, False, Status.APPROVED),
        (Status.APPROVED, Action.ASSIGN, MANAGER, None, False, Status.ASSIGNED),
        (Status.ASSIGNED, Action.START, ASSIGNEE, None, False, Status.IN_PROGRESS),
        (Status.IN_PROGRESS, Action.DELIVER, ASSIGNEE, None, True, Status.DELIVERED),
        (Status.DELIVERED, Action.REOPEN, REQUESTER, "logo to hơn", False, Status.REOPENED),
        (Status.REOPENED, Action.DELIVER, ASSIGNEE, "link mới", False, Status.DELIVERED),
        (Status.DELIVERED, Action.ACCEPT, REQUESTER, None, False, Status.ACCEPTED),
    ]
    for status, action, parts, note, has_file, target in steps:
        decision = decide(status, action, parts, note=note, has_deliverable=has_file)
        assert decision.ok and decision.target is target, (status, action)


def test_reject_and_reopen_need_a_reason_and_deliver_needs_something() -> None:
    assert decide(Status.SUBMITTED, Action.REJECT, MANAGER).verdict is Verdict.NOTE_REQUIRED
    assert decide(Status.SUBMITTED, Action.REJECT, MANAGER, note="  ").verdict is (
        Verdict.NOTE_REQUIRED
    )
    assert decide(Status.SUBMITTED, Action.REJECT, MANAGER, note="hết ngân sách").target is (
        Status.REJECTED
    )
    assert decide(Status.DELIVERED, Action.REOPEN, REQUESTER).verdict is Verdict.NOTE_REQUIRED
    assert decide(Status.IN_PROGRESS, Action.DELIVER, ASSIGNEE).verdict is Verdict.NOTE_REQUIRED


def test_wrong_people_are_refused_before_status_is_looked_at() -> None:
    # A requester cannot approve their own request, even a stale one.
    assert decide(Status.APPROVED, Action.APPROVE, REQUESTER).verdict is Verdict.NOT_ALLOWED
    assert decide(Status.SUBMITTED, Action.APPROVE, ASSIGNEE).verdict is Verdict.NOT_ALLOWED
    assert decide(Status.DELIVERED, Action.ACCEPT, MANAGER).verdict is Verdict.NOT_ALLOWED
    assert decide(Status.ASSIGNED, Action.START, MANAGER).verdict is Verdict.NOT_ALLOWED
    assert decide(Status.SUBMITTED, Action.APPROVE, frozenset()).verdict is Verdict.NOT_ALLOWED


def test_admins_decide_like_managers_but_do_not_do_the_work() -> None:
    admin = frozenset({Part.ADMIN})
    assert decide(Status.SUBMITTED, Action.APPROVE, admin).ok
    assert decide(Status.SUBMITTED, Action.CANCEL, admin).ok
    assert decide(Status.ASSIGNED, Action.START, admin).verdict is Verdict.NOT_ALLOWED


def test_cancel_only_before_work_starts() -> None:
    for status in (Status.SUBMITTED, Status.APPROVED, Status.ASSIGNED):
        assert decide(status, Action.CANCEL, REQUESTER).target is Status.CANCELLED
    for status in (Status.IN_PROGRESS, Status.DELIVERED, Status.ACCEPTED):
        assert decide(status, Action.CANCEL, REQUESTER).verdict is Verdict.WRONG_STATUS


def test_double_delivery_is_a_wrong_status() -> None:
    assert decide(Status.DELIVERED, Action.DELIVER, ASSIGNEE, note="x").verdict is (
        Verdict.WRONG_STATUS
    )


def test_available_actions_are_the_buttons_of_each_part() -> None:
    assert available_actions(Status.SUBMITTED, MANAGER) == [
        Action.APPROVE,
        Action.REJECT,
        Action.ASSIGN,
    ]
    assert available_actions(Status.SUBMITTED, REQUESTER) == [Action.CANCEL]
    assert available_actions(Status.REOPENED, ASSIGNEE) == [Action.START, Action.DELIVER]
    assert available_actions(Status.DELIVERED, REQUESTER) == [Action.ACCEPT, Action.REOPEN]
    assert available_actions(Status.ACCEPTED, frozenset(Part)) == []


def test_overdue_means_work_still_owed_past_the_deadline() -> None:
    assert is_overdue(Status.IN_PROGRESS, 100.0, 101.0)
    assert not is_overdue(Status.IN_PROGRESS, 100.0, 99.0)
    assert not is_overdue(Status.DELIVERED, 100.0, 101.0)
    assert not is_overdue(Status.ACCEPTED, 100.0, 101.0)
    assert not is_overdue(Status.ASSIGNED, None, 101.0)


statuses = st.sampled_from(list(Status))
actions = st.sampled_from([a for a in Action if a is not Action.SUBMIT])
parts = st.frozensets(st.sampled_from(list(Part)))


@given(statuses, actions, parts, st.one_of(st.none(), st.text(max_size=5)), st.booleans())
def test_decisions_never_leave_a_closed_request_or_go_off_the_table(
    status: Status, action: Action, who: frozenset[Part], note: str | None, has_file: bool
) -> None:
    decision = decide(status, action, who, note=note, has_deliverable=has_file)
    if status in TERMINAL:
        assert not decision.ok
    if decision.ok:
        rule = RULES[action]
        assert status in rule.sources and decision.target is rule.target
        assert who & rule.parts
    assert set(available_actions(status, who)) <= set(RULES)
    assert (status in OPEN) != (status in TERMINAL)
