"""A chat of the org file may name a forum topic; `opsbot org check` explains a bad one."""

from __future__ import annotations

import pytest
from org_helpers import DEMO_ORG, edit, line_number

from bot.org.loader import parse_org_text

BOD = "chats:\n  bod: -1001000000001\n"


def with_chats(chats: str) -> str:
    return edit(DEMO_ORG.read_text(encoding="utf-8"), BOD, chats)


def test_a_board_topic_is_read_and_applies_to_the_board_chat_only() -> None:
    org, problems = parse_org_text(with_chats(BOD + "  bod_topic: 12\n"))
    assert problems == [] and org is not None
    assert (org.chats.bod_topic, org.chats.topic_of(-1001000000001), org.chats.topic_of(5)) == (
        12,
        12,
        None,
    )
    plain, _ = parse_org_text(DEMO_ORG.read_text(encoding="utf-8"))
    assert plain is not None and plain.chats.topic_of(-1001000000001) is None


@pytest.mark.parametrize("value", ["0", "-3", "abc", "true", "12.5"])
def test_a_topic_that_is_not_a_positive_whole_number_is_explained(value: str) -> None:
    text = with_chats(BOD + f"  bod_topic: {value}\n")
    org, [problem] = parse_org_text(text)
    assert org is None
    assert problem.path == "chats.bod_topic"
    assert "message_thread_id" in problem.message and "whole number from 1" in problem.message
    assert problem.line == line_number(text, f"  bod_topic: {value}")


@pytest.mark.parametrize(
    "chats", ["chats:\n  bod_topic: 5\n", "chats:\n  bod: 42\n  bod_topic: 5\n"]
)
def test_a_topic_needs_a_group_chat(chats: str) -> None:
    org, [problem] = parse_org_text(with_chats(chats))
    assert org is None and "bod_topic needs bod" in problem.message
