"""The sandbox over plain HTTP: body formats, Telegram's validation rules and error shapes."""

from __future__ import annotations

import json
import re

import aiohttp
import pytest
from sandbox_support import ALICE_ID, PNG, RawApi

from bot.sandbox.client import SandboxUser
from bot.sandbox.server import SANDBOX_TOKEN, SandboxServer


def test_token_looks_real() -> None:
    assert re.fullmatch(r"\d{1,20}:[A-Za-z0-9_-]{20,}", SANDBOX_TOKEN)


async def test_get_me_get_and_case_insensitive(api: RawApi, server: SandboxServer) -> None:
    async with api.session.get(api.url("getme")) as response:
        body = await response.json()
    assert response.status == 200
    assert body["result"]["username"] == "opsbot_sandbox_bot"
    assert body["result"]["is_bot"] is True
    assert server.calls[-1][0] == "getMe"


async def test_wrong_token_and_unknown_method(api: RawApi) -> None:
    reply = await api.call("getMe", token="1:wrong-token-wrong-token-wrong")
    assert (reply.status, reply.body) == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    reply = await api.call("sendPigeon")
    assert reply.status == 404
    assert reply.description == "Not Found: method not found"


@pytest.mark.usefixtures("alice")
async def test_json_urlencoded_multipart_and_query(api: RawApi, server: SandboxServer) -> None:
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    by_json = await api.json("sendMessage", chat_id=ALICE_ID, text="json", reply_markup=markup)
    by_form = await api.call(
        "sendMessage",
        data={"chat_id": str(ALICE_ID), "text": "form", "reply_markup": json.dumps(markup)},
    )
    form = aiohttp.FormData()
    form.add_field("chat_id", str(ALICE_ID))
    form.add_field("text", "multipart")
    form.add_field("reply_markup", json.dumps(markup))
    by_multipart = await api.call("sendMessage", data=form)
    by_query = await api.call("sendMessage", params={"chat_id": ALICE_ID, "text": "query"})
    texts = [r.result["text"] for r in (by_json, by_form, by_multipart, by_query)]
    assert texts == ["json", "form", "multipart", "query"]
    assert by_form.result["reply_markup"] == markup
    assert by_multipart.result["reply_markup"] == markup
    assert [m["message_id"] for m in server.messages(ALICE_ID)] == [1, 2, 3, 4]
    assert server.calls_to("sendMessage")[1]["reply_markup"] == markup


@pytest.mark.usefixtures("alice")
async def test_multipart_attach_and_direct_file(api: RawApi, server: SandboxServer) -> None:
    form = aiohttp.FormData()
    form.add_field("chat_id", str(ALICE_ID))
    form.add_field("photo", "attach://pic")
    form.add_field("pic", PNG, filename="pic.png")
    attached = await api.call("sendPhoto", data=form)
    form = aiohttp.FormData()
    form.add_field("chat_id", str(ALICE_ID))
    form.add_field("document", b"hello", filename="note.txt")
    direct = await api.call("sendDocument", data=form)
    file_id = attached.result["photo"][-1]["file_id"]
    assert server.file_bytes(file_id) == PNG
    assert direct.result["document"]["file_name"] == "note.txt"
    assert direct.result["document"]["mime_type"] == "text/plain"
    path = (await api.json("getFile", file_id=direct.result["document"]["file_id"])).result[
        "file_path"
    ]
    async with api.session.get(f"{server.base_url}/file/bot{server.token}/{path}") as response:
        assert await response.read() == b"hello"
    async with api.session.get(f"{server.base_url}/file/bot{server.token}/nope.txt") as response:
        assert response.status == 404
    resent = await api.json("sendPhoto", chat_id=ALICE_ID, photo=file_id)
    assert resent.result["photo"][-1]["file_id"] == file_id


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"text": "x" * 4097}, "Bad Request: message is too long"),
        ({"text": "   "}, "Bad Request: message text is empty"),
        ({"text": "<b>oops</i>", "parse_mode": "HTML"}, "Bad Request: can't parse entities: "),
        ({"text": "a < b", "parse_mode": "HTML"}, 'Unsupported start tag "" at byte offset 2'),
        ({"text": "<blink>x</blink>", "parse_mode": "HTML"}, 'Unsupported start tag "blink"'),
        ({"text": "<b>open", "parse_mode": "HTML"}, "Can't find end tag"),
        ({"text": "&nbsp;", "parse_mode": "HTML"}, 'Unsupported HTML entity "&nbsp;"'),
        ({"text": "hi", "parse_mode": "Klingon"}, "Bad Request: unsupported parse_mode"),
        (
            {
                "text": "hi",
                "reply_markup": {"inline_keyboard": [[{"text": "x", "callback_data": "é" * 33}]]},
            },
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        (
            {"text": "hi", "reply_markup": {"inline_keyboard": [[{"text": "x"}]]}},
            "Text buttons are unallowed in the inline keyboard",
        ),
        (
            {"text": "hi", "reply_parameters": {"message_id": 999}},
            "message to be replied not found",
        ),
    ],
)
@pytest.mark.usefixtures("alice")
async def test_send_message_rejections(
    api: RawApi, params: dict[str, object], description: str
) -> None:
    reply = await api.json("sendMessage", chat_id=ALICE_ID, **params)
    assert reply.status == 400
    assert description in reply.description


@pytest.mark.usefixtures("alice")
async def test_limits_count_visible_text(api: RawApi) -> None:
    markup_only = "<b>" + "x" * 4096 + "</b>"
    assert (
        await api.json("sendMessage", chat_id=ALICE_ID, text=markup_only, parse_mode="HTML")
    ).status == 200
    escaped = "&lt;" * 4096
    assert (
        await api.json("sendMessage", chat_id=ALICE_ID, text=escaped, parse_mode="HTML")
    ).status == 200
    data = "d" * 64
    markup = {"inline_keyboard": [[{"text": "ok", "callback_data": data}]]}
    assert (
        await api.json("sendMessage", chat_id=ALICE_ID, text="ok", reply_markup=markup)
    ).status == 200


@pytest.mark.usefixtures("alice")
async def test_caption_limits(api: RawApi) -> None:
    form = aiohttp.FormData()
    form.add_field("chat_id", str(ALICE_ID))
    form.add_field("caption", "c" * 1025)
    form.add_field("photo", PNG, filename="p.png")
    reply = await api.call("sendPhoto", data=form)
    assert (reply.status, reply.description) == (400, "Bad Request: message caption is too long")
    form = aiohttp.FormData()
    form.add_field("chat_id", str(ALICE_ID))
    form.add_field("photo", b"not an image", filename="p.png")
    reply = await api.call("sendPhoto", data=form)
    assert reply.description == "Bad Request: IMAGE_PROCESS_FAILED"


async def test_unknown_and_blocked_chats(api: RawApi, server: SandboxServer) -> None:
    reply = await api.json("sendMessage", chat_id=424242, text="hi")
    assert (reply.status, reply.description) == (400, "Bad Request: chat not found")
    server.register_user(5, "Eve")
    server.block_user(5)
    reply = await api.json("sendMessage", chat_id=5, text="hi")
    assert (reply.status, reply.description) == (403, "Forbidden: bot was blocked by the user")
    assert reply.body["error_code"] == 403


@pytest.mark.usefixtures("alice")
async def test_edit_rules(api: RawApi) -> None:
    sent = (
        await api.json("sendMessage", chat_id=ALICE_ID, text="<b>v1</b>", parse_mode="HTML")
    ).result
    mid = sent["message_id"]
    same = await api.json(
        "editMessageText", chat_id=ALICE_ID, message_id=mid, text="<b>v1</b>", parse_mode="HTML"
    )
    assert same.description.startswith("Bad Request: message is not modified: ")
    changed = await api.json("editMessageText", chat_id=ALICE_ID, message_id=mid, text="v1")
    assert changed.result["text"] == "v1" and "entities" not in changed.result
    missing = await api.json("editMessageText", chat_id=ALICE_ID, message_id=999, text="x")
    assert missing.description == "Bad Request: message to edit not found"
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    added = await api.json(
        "editMessageReplyMarkup", chat_id=ALICE_ID, message_id=mid, reply_markup=markup
    )
    assert added.result["reply_markup"] == markup
    again = await api.json(
        "editMessageReplyMarkup", chat_id=ALICE_ID, message_id=mid, reply_markup=markup
    )
    assert "message is not modified" in again.description


async def test_callback_answer_once(api: RawApi, alice: SandboxUser) -> None:
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    await api.json("sendMessage", chat_id=ALICE_ID, text="menu", reply_markup=markup)
    query_id = await alice.press("Go")
    first = await api.json("answerCallbackQuery", callback_query_id=query_id, text="done")
    second = await api.json("answerCallbackQuery", callback_query_id=query_id)
    unknown = await api.json("answerCallbackQuery", callback_query_id="nope")
    assert first.result is True
    expected = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    assert second.description == expected
    assert unknown.description == expected
    assert (await alice.next_callback_answer()).text == "done"


async def test_commands_by_scope_and_language(
    api: RawApi, alice: SandboxUser, server: SandboxServer
) -> None:
    start = [{"command": "start", "description": "Bắt đầu"}]
    report = [{"command": "report", "description": "Report"}]
    await api.json("setMyCommands", commands=start)
    await api.json("setMyCommands", commands=report, language_code="en")
    chat_scope = {"type": "chat", "chat_id": ALICE_ID}
    await api.json("setMyCommands", commands=report + start, scope=chat_scope)
    assert (await api.json("getMyCommands")).result == start
    assert (await api.json("getMyCommands", language_code="en")).result == report
    assert (
        await api.json("getMyCommands", scope={"chat_id": str(ALICE_ID), "type": "chat"})
    ).result == report + start
    assert server.visible_commands(ALICE_ID) == report + start
    server.register_user(7, "Ann", language_code="en")
    assert server.visible_commands(7) == report
    await api.json("deleteMyCommands", scope=chat_scope)
    assert server.visible_commands(ALICE_ID) == start
    bad = await api.json("setMyCommands", commands=[{"command": "Bad Name", "description": "x"}])
    assert bad.description == "Bad Request: BOT_COMMAND_INVALID"
    unknown_chat = await api.json(
        "setMyCommands", commands=start, scope={"type": "chat", "chat_id": 9}
    )
    assert unknown_chat.description == "Bad Request: chat not found"


async def test_get_chat_and_chat_action(api: RawApi, alice: SandboxUser) -> None:
    chat = (await api.json("getChat", chat_id=ALICE_ID)).result
    assert chat["type"] == "private" and chat["first_name"] == "Alice"
    assert (await api.json("sendChatAction", chat_id=ALICE_ID, action="typing")).result is True
    bad = await api.json("sendChatAction", chat_id=ALICE_ID, action="dancing")
    assert bad.status == 400
