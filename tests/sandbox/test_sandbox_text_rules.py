"""What Telegram does to a text besides parsing it, as the sandbox does it: control characters
are not refused but shown as spaces, and a text that shows nothing is refused as empty."""

from __future__ import annotations

import pytest
from sandbox_support import ALICE_ID, RawApi

from bot.sandbox.client import SandboxUser
from bot.sandbox.html_check import format_text


def test_control_characters_become_spaces_and_carriage_returns_go() -> None:
    assert format_text("a\x00b\x07c\td\r\ne", None).text == "a b c d\ne"
    assert format_text("<b>a\x00b</b>", "HTML").entities == [
        {"type": "bold", "offset": 0, "length": 3}
    ]


def test_line_separators_and_direction_overrides_are_dropped() -> None:
    assert format_text("a\u2028b\u202ec\u202ad", None).text == "abcd"


@pytest.mark.parametrize(
    "text",
    ["\x00", "\x00\x01 \n", "\u200b", "\u200b\u200d\ufeff\xa0", "<b>\u200c</b>", "<i> </i>"],
)
def test_a_text_showing_nothing_is_empty(text: str) -> None:
    assert format_text(text, "HTML").text == ""


def test_zero_width_characters_beside_text_are_kept() -> None:
    assert format_text("a\u200bb", "HTML").text == "a\u200bb"


async def test_the_api_refuses_an_empty_looking_text_and_takes_a_nul(
    api: RawApi, alice: SandboxUser
) -> None:
    empty = await api.json("sendMessage", chat_id=ALICE_ID, text="\u200b\x00", parse_mode="HTML")
    assert (empty.status, empty.description) == (400, "Bad Request: message text is empty")
    sent = await api.json("sendMessage", chat_id=ALICE_ID, text="a\x00<b>b</b>", parse_mode="HTML")
    assert sent.result["text"] == "a b"
    assert (await alice.next_message()).text == "a b"
