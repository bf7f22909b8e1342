"""/lang: the language buttons."""

from __future__ import annotations

from collections.abc import Iterable

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

LANGUAGE_NAMES = {"vi": "🇻🇳 Tiếng Việt", "en": "🇬🇧 English"}


class LangCallback(CallbackData, prefix="lang"):
    locale: str


def language_keyboard(locales: Iterable[str]) -> InlineKeyboardMarkup:
    """One button per language, each in its own language."""
    buttons = [
        [
            InlineKeyboardButton(
                text=LANGUAGE_NAMES[code], callback_data=LangCallback(locale=code).pack()
            )
        ]
        for code in locales
    ]
    return InlineKeyboardMarkup(inline_keyboard=buttons)
