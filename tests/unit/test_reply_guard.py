"""The reply guard without a network: a recorded ``make_request`` stands in for the Bot API.

End to end (through the sandbox) see ``tests/e2e/test_long_replies.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyParameters,
    Update,
)

from bot.delivery.reply_guard import ReplyGuard, ReplyRefused, UpdateScope, current_update_id
from bot.domain.text_split import visible_length
from bot.sandbox.html_check import parse_html

MARKUP = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="OK", callback_data="ok")]]
)
LONG = "\n".join(f"<b>{n:03d}</b> {'x' * 60}" for n in range(200))  # 13,000 characters


class FakeApi:
    """Answers each call with ``answer(method)``: a result, or an exception to raise."""

    def __init__(self, answer: Callable[[TelegramMethod[Any]], Any] = lambda m: True) -> None:
        self.calls: list[TelegramMethod[Any]] = []
        self.answer = answer

    async def __call__(self, bot: Bot, method: TelegramMethod[Any]) -> Any:
        self.calls.append(method)
        result = self.answer(method)
        if isinstance(result, Exception):
            raise result
        return result


def refuse(description: str, when: Callable[[TelegramMethod[Any]], bool] = lambda m: True):
    def answer(method: TelegramMethod[Any]) -> Any:
        if when(method):
            return TelegramBadRequest(method=method, message=f"Bad Request: {description}")
        return "sent"

    return answer


@pytest.fixture
def bot() -> Bot:
    return Bot("1:x", default=DefaultBotProperties(parse_mode=ParseMode.HTML))


async def in_update(update_id: int, call: Callable[[], Any]) -> Any:
    """Run ``call`` as the handler of update ``update_id`` (inside ``UpdateScope``)."""

    async def handler(event: Any, data: dict[str, Any]) -> Any:
        assert current_update_id() == update_id
        return await call()

    return await UpdateScope()(handler, Update(update_id=update_id), {})


async def test_outside_an_update_calls_pass_through_untouched(bot: Bot) -> None:
    """The outbox sender's calls: no split, no retry, its exceptions as they were."""
    error = TelegramForbiddenError(method=SendMessage(chat_id=1, text="x"), message="Forbidden")
    api = FakeApi(lambda m: error)
    method = SendMessage(chat_id=1, text=LONG)
    with pytest.raises(TelegramForbiddenError) as raised:
        await ReplyGuard()(api, bot, method)
    assert raised.value is error and api.calls == [method]
    api = FakeApi(refuse("can't parse entities: Unexpected end tag"))
    with pytest.raises(TelegramBadRequest) as refused:
        await ReplyGuard()(api, bot, method)
    assert not isinstance(refused.value, ReplyRefused) and len(api.calls) == 1


async def test_a_long_text_goes_out_as_several_messages_in_order(bot: Bot) -> None:
    api = FakeApi(lambda m: f"message {len(api.calls)}")
    method = SendMessage(
        chat_id=1,
        text=LONG,
        reply_markup=MARKUP,
        reply_parameters=ReplyParameters(message_id=7),
    )
    result = await in_update(1, lambda: ReplyGuard()(api, bot, method))
    sent = [call for call in api.calls if isinstance(call, SendMessage)]
    assert len(sent) == len(api.calls) >= 4
    assert result == f"message {len(sent)}"  # the last message, the one with the buttons
    for call in sent:
        assert visible_length(call.text) <= 4096
        parse_html(call.text)  # balanced: each chunk is valid HTML on its own
    assert [c.reply_markup for c in sent] == [None] * (len(sent) - 1) + [MARKUP]
    assert sent[0].reply_parameters is not None
    assert all(c.reply_parameters is None for c in sent[1:])
    assert "\n".join(c.text for c in sent) == LONG  # cut at line ends only


async def test_a_refused_reply_is_sent_again_as_plain_text(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    broken = "✓ <b>GMV</b>: <b>12tr</i> &amp; more"
    api = FakeApi(
        refuse(
            "can't parse entities: Unmatched end tag",
            lambda m: bool(getattr(m, "parse_mode", None)),
        )
    )
    method = SendMessage(chat_id=1, text=broken, reply_markup=MARKUP)
    with caplog.at_level(logging.ERROR, logger="bot.delivery.reply_guard"):
        result = await in_update(42, lambda: ReplyGuard()(api, bot, method))
    assert result == "sent"
    first, second = api.calls
    assert first is method and isinstance(second, SendMessage)
    assert second.text == "✓ GMV: 12tr & more" and second.parse_mode is None
    assert second.reply_markup == MARKUP  # the buttons stay
    (record,) = caplog.records
    assert "update_id=42" in record.getMessage() and "plain text" in record.getMessage()
    assert record.exc_info is None  # one line, no traceback


async def test_a_reply_refused_as_plain_text_too_is_absorbed_by_the_update(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    """What the handler did before the reply stands; nothing propagates to the error handler."""
    api = FakeApi(refuse("BUTTON_DATA_INVALID"))
    done: list[str] = []

    async def handler_work() -> str:
        done.append("answer saved")
        await ReplyGuard()(api, bot, SendMessage(chat_id=1, text="<b>x</b>", reply_markup=MARKUP))
        done.append("never reached")
        return "handled"

    with caplog.at_level(logging.ERROR, logger="bot.delivery.reply_guard"):
        assert await in_update(43, handler_work) is None
    assert done == ["answer saved"]
    assert len(api.calls) == 2  # HTML, then plain text
    (record,) = caplog.records
    assert "update_id=43" in record.getMessage() and "BUTTON_DATA_INVALID" in record.getMessage()


async def test_not_modified_is_not_retried_and_can_still_be_caught(bot: Bot) -> None:
    api = FakeApi(refuse("message is not modified"))
    method = EditMessageText(chat_id=1, message_id=5, text="<b>same</b>")

    async def handler_work() -> str:
        try:
            await ReplyGuard()(api, bot, method)
        except TelegramBadRequest:  # what handlers such as the alert buttons do
            return "caught"
        return "not raised"

    async def scope_result() -> Any:
        return await handler_work()

    assert await in_update(44, scope_result) == "caught"
    assert api.calls == [method]


async def test_a_long_caption_is_shortened_and_the_rest_follows(bot: Bot) -> None:
    caption = "\n".join(f"• <i>Người {n:03d}</i> · 12,5tr · 85 đơn" for n in range(80))
    api = FakeApi()
    photo = SendPhoto(
        chat_id=1, photo=BufferedInputFile(b"png", "c.png"), caption=caption, reply_markup=MARKUP
    )
    await in_update(45, lambda: ReplyGuard()(api, bot, photo))
    sent_photo, *rest = api.calls
    assert isinstance(sent_photo, SendPhoto) and sent_photo.caption is not None
    assert visible_length(sent_photo.caption) <= 1024 and sent_photo.reply_markup == MARKUP
    assert rest and all(isinstance(m, SendMessage) for m in rest)
    shown = [parse_html(sent_photo.caption).text] + [parse_html(m.text).text for m in rest]  # type: ignore[attr-defined]
    assert "\n".join(shown) == parse_html(caption).text


async def test_a_callback_answer_is_cut_to_its_limit(bot: Bot) -> None:
    api = FakeApi()
    await in_update(
        46,
        lambda: ReplyGuard()(api, bot, AnswerCallbackQuery(callback_query_id="q", text="y" * 500)),
    )
    (answer,) = api.calls
    assert isinstance(answer, AnswerCallbackQuery) and answer.text is not None
    assert len(answer.text) == 200 and answer.text.endswith("…")


async def test_other_errors_still_reach_the_error_handler(bot: Bot) -> None:
    async def failing() -> None:
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError):
        await in_update(47, failing)
    assert current_update_id() is None
