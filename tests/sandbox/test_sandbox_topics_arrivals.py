"""The sandbox records forum topics and every call's arrival, refused calls included."""

from __future__ import annotations

import pytest
from sandbox_support import ALICE_ID, RawApi

from bot.sandbox.server import SandboxServer

GROUP = -100123


async def test_a_message_to_a_topic_records_its_thread(api: RawApi, server: SandboxServer) -> None:
    server.register_group(GROUP, "Board")
    reply = await api.json("sendMessage", chat_id=GROUP, text="hi", message_thread_id=12)
    assert reply.result["message_thread_id"] == 12 and reply.result["is_topic_message"] is True
    assert server.messages(GROUP)[0]["message_thread_id"] == 12
    plain = await api.json("sendMessage", chat_id=GROUP, text="no topic")
    assert "message_thread_id" not in plain.result


@pytest.mark.usefixtures("alice")
@pytest.mark.parametrize("thread", [0, -4, "abc"])
async def test_a_bad_thread_or_a_private_chat_is_refused(
    api: RawApi, server: SandboxServer, thread: object
) -> None:
    server.register_group(GROUP, "Board")
    reply = await api.json("sendMessage", chat_id=GROUP, text="x", message_thread_id=thread)
    assert (reply.status, reply.description) == (400, "Bad Request: message thread not found")
    reply = await api.json("sendMessage", chat_id=ALICE_ID, text="x", message_thread_id=3)
    assert reply.status == 400
    assert server.messages(GROUP) == []


@pytest.mark.usefixtures("alice")
async def test_every_call_is_recorded_on_arrival_with_its_answer(
    api: RawApi, server: SandboxServer
) -> None:
    server.faults.add("429", method="sendMessage", retry_after=3)
    refused = await api.json("sendMessage", chat_id=ALICE_ID, text="one")
    accepted = await api.json("sendMessage", chat_id=ALICE_ID, text="two")
    assert (refused.status, accepted.status) == (429, 200)
    arrivals = server.arrivals_of("sendMessage")
    assert [(a.chat_id, a.status) for a in arrivals] == [(ALICE_ID, 429), (ALICE_ID, 200)]
    assert arrivals[0].at <= arrivals[1].at
