"""Request parameters and the Bot API's rules for keyboards and commands."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.sandbox.models import Json, bad_request, button_rows

MAX_CALLBACK_DATA = 64
MAX_BUTTONS = 100
BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


class Params:
    """Request parameters with Telegram's coercions (form fields arrive as strings)."""

    def __init__(self, values: Json) -> None:
        self.values = values

    def get(self, name: str) -> Any:
        return self.values.get(name)

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        return None if value is None else str(value)

    def integer(self, name: str, error: str) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        try:
            return int(str(value))
        except ValueError:
            raise bad_request(error) from None

    def flag(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("true", "1")


def _buttons(rows: Any) -> Iterator[tuple[int, Json]]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse inline keyboard markup JSON object")
    for index, row in enumerate(rows):
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request("can't parse inline keyboard button: Text is not specified")
            yield index, button


def inline_markup(rows: Any) -> Json | None:
    cleaned: list[list[Json]] = [[] for _ in rows] if isinstance(rows, list) else []
    count = 0
    for index, button in _buttons(rows):
        _check_button(button)
        cleaned[index].append(dict(button))
        count += 1
    if count > MAX_BUTTONS:
        raise bad_request("reply markup is too long")
    kept = [row for row in cleaned if row]
    return {"inline_keyboard": kept} if kept else None


def _check_button(button: Json) -> None:
    actions = [name for name in BUTTON_ACTIONS if name in button]
    if len(actions) != 1:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = str(button["url"])
        if not url.startswith(("http://", "https://", "tg://")) or len(url) < 8:
            raise bad_request("BUTTON_URL_INVALID")


def reply_keyboard(rows: Any) -> list[list[str]]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse reply keyboard markup JSON object")
    keyboard: list[list[str]] = []
    for row in rows:
        texts = [_keyboard_text(button) for button in row]
        if any(not text for text in texts):
            raise bad_request("keyboard button text is empty")
        if texts:
            keyboard.append(texts)
    return keyboard


def _keyboard_text(button: Any) -> str:
    if isinstance(button, str):
        return button
    if isinstance(button, dict):
        return str(button.get("text", ""))
    raise bad_request("can't parse keyboard button JSON object")


def check_command(item: Any) -> Json:
    if not isinstance(item, dict):
        raise bad_request("can't parse BotCommand JSON object")
    command = str(item.get("command", "")).removeprefix("/")
    description = str(item.get("description", ""))
    valid_name = 1 <= len(command) <= 32 and all(
        c.isascii() and (c.islower() or c.isdigit() or c == "_") for c in command
    )
    if not valid_name:
        raise bad_request("BOT_COMMAND_INVALID")
    if not 1 <= len(description) <= 256:
        raise bad_request("command description is empty or too long")
    return {"command": command, "description": description}


def find_button(message: Json, text: str) -> Json:
    markup = message.get("reply_markup") or {}
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if button.get("text") == text:
                return dict(button)
    available = button_rows(message)
    raise LookupError(
        f"no inline button {text!r} on message {message['message_id']}; available: {available}"
    )
