"""The Bot API reply models are built once and kept (not rebuilt on the event loop)."""

from __future__ import annotations

import gc

from aiogram import methods
from aiogram.methods.base import Response

from bot.app import api_response_models

USED = (
    methods.GetUpdates,
    methods.SendMessage,
    methods.SendPhoto,
    methods.SendDocument,
    methods.EditMessageText,
    methods.EditMessageReplyMarkup,
    methods.AnswerCallbackQuery,
    methods.GetMe,
    methods.SetMyCommands,
)


def test_reply_models_of_the_methods_the_bot_uses_are_kept() -> None:
    kept = api_response_models()
    gc.collect()
    for method in USED:
        model = Response[method.__returning__]  # what aiogram asks for on every reply
        assert any(model is k for k in kept), method.__name__
    assert api_response_models() is kept
