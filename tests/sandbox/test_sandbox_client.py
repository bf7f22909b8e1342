"""SandboxUser: output queues, kinds, failures that explain themselves, and listeners."""

from __future__ import annotations

import json

import aiohttp
import pytest
from sandbox_support import ALICE_ID, PNG, RawApi

from bot.sandbox.client import SandboxUser
from bot.sandbox.models import ChatEvent
from bot.sandbox.server import SandboxServer

BUTTONS = {
    "inline_keyboard": [
        [{"text": "Yes", "callback_data": "y"}, {"text": "Docs", "url": "https://example.com"}]
    ]
}


async def send_photo(api: RawApi, chat_id: int, caption: str = "") -> None:
    form = aiohttp.FormData()
    form.add_field("chat_id", str(chat_id))
    form.add_field("caption", caption)
    form.add_field("photo", PNG, filename="chart.png")
    assert (await api.call("sendPhoto", data=form)).status == 200


async def test_kinds_are_taken_in_order_and_others_stay(api: RawApi, alice: SandboxUser) -> None:
    await api.json("sendMessage", chat_id=ALICE_ID, text="one")
    await send_photo(api, ALICE_ID, "chart")
    await api.json("sendMessage", chat_id=ALICE_ID, text="two")
    photo = await alice.next_photo(timeout=1)
    assert (photo.text, photo.data, photo.file_name) == ("chart", PNG, "chart.png")
    assert [o.text for o in alice.queued] == ["one", "two"]
    assert (await alice.next_message(timeout=1)).text == "one"
    assert (await alice.next_output(timeout=1)).text == "two"


async def test_missing_output_fails_with_what_is_queued(api: RawApi, alice: SandboxUser) -> None:
    await api.json("sendMessage", chat_id=ALICE_ID, text="only a message")
    with pytest.raises(
        AssertionError,
        match=r"no edit from the bot within 0.1s; queued: \[\"message#1: 'only a message'\"\]",
    ):
        await alice.next_edit(timeout=0.1)
    with pytest.raises(AssertionError, match="unexpected bot output"):
        await alice.assert_no_output(within=0.05)
    await alice.assert_no_output(within=0.05, kinds="photo")


async def test_press_rules(api: RawApi, alice: SandboxUser, server: SandboxServer) -> None:
    with pytest.raises(AssertionError, match="no bot message with inline buttons"):
        await alice.press("Yes")
    sent = (
        await api.json("sendMessage", chat_id=ALICE_ID, text="pick", reply_markup=BUTTONS)
    ).result
    with pytest.raises(AssertionError, match="not a callback button"):
        await alice.press("Docs")
    with pytest.raises(AssertionError, match=r"available: \[\['Yes', 'Docs'\]\]"):
        await alice.press("No")
    query_id = await alice.press("Yes", message=sent["message_id"])
    [update] = (await api.json("getUpdates")).result
    query = update["callback_query"]
    assert (query["id"], query["data"]) == (query_id, "y")
    assert query["message"]["message_id"] == sent["message_id"]
    assert query["from"]["id"] == ALICE_ID


async def test_group_outputs_and_private_answers(
    api: RawApi, alice: SandboxUser, bob: SandboxUser, server: SandboxServer
) -> None:
    server.register_group(-5, "Ops")
    await alice.send("hi all", chat_id=-5)
    await bob.send("hello", chat_id=-5)
    sent = (await api.json("sendMessage", chat_id=-5, text="vote", reply_markup=BUTTONS)).result
    assert sent["chat"] == {"id": -5, "type": "group", "title": "Ops"}
    assert (await alice.next_message(timeout=1)).text == "vote"
    assert (await bob.next_message(timeout=1)).text == "vote"
    query_id = await bob.press("Yes", message=sent)
    await api.json("answerCallbackQuery", callback_query_id=query_id, text="counted")
    assert (await bob.next_callback_answer(timeout=1)).text == "counted"
    await alice.assert_no_output(within=0.05)


async def test_reply_keyboard(api: RawApi, alice: SandboxUser) -> None:
    keyboard = {"keyboard": [[{"text": "Báo cáo"}, "Trợ giúp"]], "resize_keyboard": True}
    await api.call(
        "sendMessage",
        data={"chat_id": ALICE_ID, "text": "menu", "reply_markup": json.dumps(keyboard)},
    )
    output = await alice.next_message(timeout=1)
    assert output.keyboard == [["Báo cáo", "Trợ giúp"]]
    assert "reply_markup" not in output.raw
    assert alice.keyboard == [["Báo cáo", "Trợ giúp"]]
    await api.json(
        "sendMessage", chat_id=ALICE_ID, text="bye", reply_markup={"remove_keyboard": True}
    )
    assert (await alice.next_message(timeout=1)).keyboard == []
    assert alice.keyboard == []


async def test_listeners_see_the_conversation(
    api: RawApi, alice: SandboxUser, server: SandboxServer
) -> None:
    events: list[ChatEvent] = []
    async_events: list[str] = []

    async def async_listener(event: ChatEvent) -> None:
        async_events.append(event.kind)

    server.add_listener(events.append)
    server.add_listener(async_listener)
    await alice.send("/start")
    sent = (
        await api.json(
            "sendMessage",
            chat_id=ALICE_ID,
            text="<b>menu</b>",
            parse_mode="HTML",
            reply_markup=BUTTONS,
        )
    ).result
    query_id = await alice.press("Yes")
    await api.json("answerCallbackQuery", callback_query_id=query_id, text="ok")
    await api.json("editMessageText", chat_id=ALICE_ID, message_id=sent["message_id"], text="done")
    await alice.send_document("a.txt", b"abc", caption="file")
    await send_photo(api, ALICE_ID)
    kinds = [e.kind for e in events]
    assert kinds == [
        "user_text",
        "bot_message",
        "button_press",
        "callback_answer",
        "bot_edit",
        "user_document",
        "bot_photo",
    ]
    assert all(e.user == "Alice" and e.chat_id == ALICE_ID for e in events)
    assert events[1].text == "menu" and events[1].buttons == [["Yes", "Docs"]]
    assert events[2].text == "Yes" and not events[2].from_bot
    assert events[4].buttons == []
    assert (events[5].file_name, events[5].data) == ("a.txt", b"abc")
    assert events[6].data == PNG
    assert async_events == kinds


async def test_failing_listener_does_not_break_the_api(
    api: RawApi, alice: SandboxUser, server: SandboxServer
) -> None:
    def broken(event: ChatEvent) -> None:
        raise RuntimeError("printer on fire")

    server.add_listener(broken)
    assert (await api.json("sendMessage", chat_id=ALICE_ID, text="still works")).status == 200
    assert (await alice.next_message(timeout=1)).text == "still works"


def test_unknown_user_or_chat(server: SandboxServer) -> None:
    with pytest.raises(ValueError, match="not registered"):
        server.send_user_message(404, "hi")
    server.register_user(1, "A")
    with pytest.raises(ValueError, match="chat -9 is not registered"):
        server.send_user_message(1, "hi", chat_id=-9)
