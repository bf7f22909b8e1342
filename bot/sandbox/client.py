"""A scripted Telegram user for the sandbox: writes, presses buttons, reads the bot's replies."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from bot.sandbox.models import ChatEvent, Json, button_rows, message_text
from bot.sandbox.server import SandboxServer

OutputKind = Literal["message", "photo", "document", "edit", "callback_answer"]
MESSAGE_KINDS: tuple[OutputKind, ...] = ("message", "photo", "document")
_KIND_OF_EVENT: dict[str, OutputKind] = {
    "bot_message": "message",
    "bot_photo": "photo",
    "bot_document": "document",
    "bot_edit": "edit",
    "callback_answer": "callback_answer",
}
Kinds = OutputKind | Iterable[OutputKind] | None


@dataclass
class BotOutput:
    """Something the bot showed this user: a message, a file, an edit or a callback answer.

    `text` is the visible text (or caption, or the callback answer's text); `raw` is the
    Message JSON, or the answerCallbackQuery parameters.
    """

    kind: OutputKind
    chat_id: int
    message_id: int | None
    text: str
    buttons: list[list[str]] = field(default_factory=list)
    raw: Json = field(default_factory=dict)
    data: bytes | None = None
    file_name: str | None = None
    keyboard: list[list[str]] | None = None
    show_alert: bool = False

    @property
    def button_texts(self) -> list[str]:
        return [text for row in self.buttons for text in row]

    def callback_data(self, button_text: str) -> str | None:
        for row in (self.raw.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if button.get("text") == button_text:
                    return button.get("callback_data")
        return None

    def summary(self) -> str:
        text = self.text if len(self.text) <= 80 else self.text[:77] + "..."
        parts = [f"{self.kind}#{self.message_id}: {text!r}"]
        if self.buttons:
            parts.append(f"buttons={self.buttons}")
        if self.data is not None:
            parts.append(f"{len(self.data)} bytes")
        return " ".join(parts)


def _output_from_event(event: ChatEvent, kind: OutputKind) -> BotOutput:
    return BotOutput(
        kind=kind,
        chat_id=event.chat_id,
        message_id=event.message_id,
        text=event.text,
        buttons=[list(row) for row in event.buttons],
        raw=event.raw,
        data=event.data,
        file_name=event.file_name,
        keyboard=event.keyboard,
        show_alert=event.show_alert,
    )


def _wanted(kinds: Kinds) -> frozenset[str] | None:
    if kinds is None:
        return None
    if isinstance(kinds, str):
        return frozenset({kinds})
    return frozenset(kinds)


class SandboxUser:
    """One human in the sandbox. Bot outputs for this user queue up in the order sent."""

    def __init__(
        self,
        server: SandboxServer,
        user_id: int,
        first_name: str,
        username: str | None = None,
        language_code: str | None = "vi",
    ) -> None:
        self.server = server
        self.user_id = user_id
        self.first_name = first_name
        server.register_user(user_id, first_name, username, language_code)
        self.chats: set[int] = {user_id}
        self.history: list[BotOutput] = []
        self._queue: list[BotOutput] = []
        self._arrived = asyncio.Event()
        server.add_listener(self._on_event)

    def close(self) -> None:
        """Stop collecting outputs (the account stays registered)."""
        self.server.remove_listener(self._on_event)

    def _on_event(self, event: ChatEvent) -> None:
        kind = _KIND_OF_EVENT.get(event.kind)
        if kind is None:
            return
        if kind == "callback_answer":
            # Only the presser sees the toast, whichever chat the button was in.
            if event.user_id != self.user_id:
                return
        elif event.chat_id not in self.chats:
            return
        output = _output_from_event(event, kind)
        self._queue.append(output)
        self.history.append(output)
        self._arrived.set()

    # acting

    async def send(self, text: str, chat_id: int | None = None) -> Json:
        """Write `text` in the private chat with the bot, or in the group `chat_id`."""
        if chat_id is not None:
            self.chats.add(chat_id)
        return self.server.send_user_message(self.user_id, text, chat_id=chat_id)

    async def send_command(
        self, command: str, args: str | None = None, chat_id: int | None = None
    ) -> Json:
        text = "/" + command.removeprefix("/")
        if args:
            text = f"{text} {args}"
        return await self.send(text, chat_id=chat_id)

    async def send_document(
        self,
        filename: str,
        content: bytes,
        caption: str | None = None,
        mime_type: str | None = None,
        chat_id: int | None = None,
    ) -> Json:
        if chat_id is not None:
            self.chats.add(chat_id)
        return self.server.send_user_document(
            self.user_id, filename, content, caption, mime_type, chat_id=chat_id
        )

    async def press(self, button_text: str, message: BotOutput | Json | int | None = None) -> str:
        """Press the inline button labelled exactly `button_text`; returns the query id.

        `message` defaults to the latest bot message in the private chat that has buttons.
        """
        chat_id, message_id = self._target(message)
        try:
            return self.server.press_button(self.user_id, chat_id, message_id, button_text)
        except LookupError as exc:
            raise AssertionError(f"{self.first_name} cannot press {button_text!r}: {exc}") from None

    def _target(self, message: BotOutput | Json | int | None) -> tuple[int, int]:
        if isinstance(message, BotOutput):
            if message.message_id is None:
                raise AssertionError(f"{message.kind} output has no message to press on")
            return message.chat_id, message.message_id
        if isinstance(message, dict):
            return int(message["chat"]["id"]), int(message["message_id"])
        if isinstance(message, int):
            return self.user_id, message
        latest = self.last_message_with_buttons
        if latest is None or latest.message_id is None:
            raise AssertionError(
                f"{self.first_name} has no bot message with inline buttons; "
                f"recent outputs: {[o.summary() for o in self.history[-5:]]}"
            )
        return latest.chat_id, latest.message_id

    @property
    def last_message_with_buttons(self) -> BotOutput | None:
        """The latest bot message in the private chat whose current state has inline buttons."""
        for message in reversed(self.server.messages(self.user_id)):
            if message["from"].get("id") != self.server.bot_id or not button_rows(message):
                continue
            kind: OutputKind = "message"
            if "photo" in message:
                kind = "photo"
            elif "document" in message:
                kind = "document"
            return BotOutput(
                kind=kind,
                chat_id=self.user_id,
                message_id=message["message_id"],
                text=message_text(message),
                buttons=button_rows(message),
                raw=message,
            )
        return None

    @property
    def keyboard(self) -> list[list[str]]:
        """The reply keyboard currently shown in the private chat."""
        return self.server.reply_keyboard(self.user_id)

    def block_bot(self) -> None:
        self.server.block_user(self.user_id)

    # reading

    @property
    def queued(self) -> list[BotOutput]:
        return list(self._queue)

    def drain(self) -> list[BotOutput]:
        """Everything queued, removed from the queue."""
        outputs, self._queue = self._queue, []
        return outputs

    async def poll_output(self, kinds: Kinds = None, timeout: float = 10.0) -> BotOutput | None:
        """The next queued output of one of `kinds`, or None after `timeout` seconds."""
        wanted = _wanted(kinds)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for index, output in enumerate(self._queue):
                if wanted is None or output.kind in wanted:
                    return self._queue.pop(index)
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except TimeoutError:
                return None

    async def next_output(self, kinds: Kinds = None, timeout: float = 10.0) -> BotOutput:
        """Like poll_output, but a missing output fails the test with what did arrive."""
        output = await self.poll_output(kinds, timeout)
        if output is None:
            wanted = sorted(_wanted(kinds) or ["any output"])
            raise AssertionError(
                f"{self.first_name}: no {'/'.join(wanted)} from the bot within {timeout}s; "
                f"queued: {[o.summary() for o in self._queue]}"
            )
        return output

    async def next_message(self, timeout: float = 10.0) -> BotOutput:
        return await self.next_output(MESSAGE_KINDS, timeout)

    async def next_photo(self, timeout: float = 10.0) -> BotOutput:
        return await self.next_output("photo", timeout)

    async def next_document(self, timeout: float = 10.0) -> BotOutput:
        return await self.next_output("document", timeout)

    async def next_edit(self, timeout: float = 10.0) -> BotOutput:
        return await self.next_output("edit", timeout)

    async def next_callback_answer(self, timeout: float = 10.0) -> BotOutput:
        return await self.next_output("callback_answer", timeout)

    async def assert_no_output(self, within: float = 0.3, kinds: Kinds = None) -> None:
        """Wait `within` seconds and fail if the bot produced anything (of `kinds`) meanwhile."""
        await asyncio.sleep(within)
        wanted = _wanted(kinds)
        unexpected = [o for o in self._queue if wanted is None or o.kind in wanted]
        if unexpected:
            raise AssertionError(
                f"{self.first_name}: unexpected bot output: {[o.summary() for o in unexpected]}"
            )
