"""The sandbox's world: accounts, chats, messages, files, pending updates and listeners.

Plain synchronous state; the HTTP server validates requests and then changes it here.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any, Literal

from bot.sandbox.models import (
    CallbackRecord,
    ChatEvent,
    Json,
    SandboxAccount,
    SandboxChat,
    StoredFile,
)

log = logging.getLogger(__name__)

Listener = Callable[[ChatEvent], Any]
_COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,})?")
# What Telegram delivers when allowed_updates is empty: everything but these three.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


def command_entities(text: str) -> list[Json]:
    """The bot_command entity Telegram adds to a message starting with /command."""
    match = _COMMAND.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": match.end()}]


class ChatStore:
    def __init__(self, bot_user: Json, now: Callable[[], float]) -> None:
        self.bot_user = bot_user
        self._now = now
        self.accounts: dict[int, SandboxAccount] = {}
        self.chats: dict[int, SandboxChat] = {}
        self.blocked: set[int] = set()
        self.reply_keyboards: dict[int, list[list[str]]] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._messages: dict[int, dict[int, Json]] = {}
        self._last_message_id: dict[int, int] = {}
        self._file_counter = 0
        self._callback_counter = 0
        self.updates: list[Json] = []
        self._last_update_id = 0
        self.allowed_updates: frozenset[str] | None = None
        self.on_update: Callable[[], None] | None = None
        # Called when updates leave the queue (confirmed, delivered or dropped).
        self.on_drain: Callable[[], None] | None = None
        self._listeners: list[Listener] = []
        self._listener_tasks: set[asyncio.Future[Any]] = set()

    # accounts and chats

    def register_user(self, account: SandboxAccount) -> SandboxChat:
        self.accounts[account.id] = account
        chat = SandboxChat(id=account.id, type="private", account=account)
        self.chats[account.id] = chat
        return chat

    def register_group(self, chat_id: int, title: str) -> SandboxChat:
        chat = SandboxChat(id=chat_id, type="group", title=title)
        self.chats[chat_id] = chat
        return chat

    def chat_by_username(self, username: str) -> SandboxChat | None:
        wanted = username.removeprefix("@").lower()
        for chat in self.chats.values():
            name = chat.username or (chat.account.username if chat.account else None)
            if name and name.lower() == wanted:
                return chat
        return None

    def now(self) -> int:
        return int(self._now())

    # messages

    def add_message(self, chat: SandboxChat, sender: Json, content: Json) -> Json:
        message_id = self._last_message_id.get(chat.id, 0) + 1
        self._last_message_id[chat.id] = message_id
        message: Json = {
            "message_id": message_id,
            "from": sender,
            "chat": chat.to_json(),
            "date": self.now(),
            **content,
        }
        self._messages.setdefault(chat.id, {})[message_id] = message
        return message

    def message(self, chat_id: int, message_id: int) -> Json | None:
        return self._messages.get(chat_id, {}).get(message_id)

    def messages(self, chat_id: int) -> list[Json]:
        return list(self._messages.get(chat_id, {}).values())

    def delete_message(self, chat_id: int, message_id: int) -> bool:
        return self._messages.get(chat_id, {}).pop(message_id, None) is not None

    # files

    def add_file(
        self,
        kind: Literal["photo", "document"],
        content: bytes,
        file_name: str,
        mime_type: str,
        extension: str,
        size: tuple[int, int] = (0, 0),
    ) -> StoredFile:
        self._file_counter += 1
        number = self._file_counter
        prefix = "AgAC" if kind == "photo" else "BQAC"
        folder = "photos" if kind == "photo" else "documents"
        stored = StoredFile(
            file_id=f"{prefix}-sandbox-{kind}-{number:06d}",
            file_unique_id=f"AQAD{number:06d}",
            kind=kind,
            file_path=f"{folder}/file_{number}{extension}",
            content=content,
            file_name=file_name,
            mime_type=mime_type,
            width=size[0],
            height=size[1],
        )
        self.files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def add_file_alias(self, alias: str, stored: StoredFile) -> None:
        """Smaller photo sizes are other file_ids for the same bytes."""
        self.files[alias] = stored

    def file_by_path(self, path: str) -> StoredFile | None:
        return self._files_by_path.get(path)

    # updates

    def push_update(self, kind: str, payload: Json) -> Json | None:
        """Queue an update for getUpdates; None when allowed_updates filters it out."""
        if not self._allowed(kind):
            log.debug("update %s dropped by allowed_updates", kind)
            return None
        self._last_update_id += 1
        update = {"update_id": self._last_update_id, kind: payload}
        self.updates.append(update)
        if self.on_update is not None:
            self.on_update()
        return update

    def _allowed(self, kind: str) -> bool:
        if self.allowed_updates is None:
            return kind not in _OPT_IN_UPDATES
        return kind in self.allowed_updates

    def set_allowed_updates(self, kinds: Iterable[str]) -> None:
        names = frozenset(kinds)
        self.allowed_updates = names or None
        # Telegram stops storing filtered kinds at once, including ones already waiting.
        self.updates = [u for u in self.updates if self._allowed(_update_kind(u))]
        self._drained()

    def confirm(self, offset: int) -> None:
        """getUpdates offset semantics: positive confirms below it, negative keeps the tail."""
        if offset > 0:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        elif offset < 0:
            self.updates = self.updates[offset:]
        self._drained()

    def remove_update(self, update_id: int) -> None:
        """An update the bot acknowledged (its webhook answered 2xx); the webhook's own
        bookkeeping, so on_drain is not called."""
        for index, update in enumerate(self.updates):
            if update["update_id"] == update_id:
                del self.updates[index]
                break

    def drop_pending(self) -> None:
        self.updates.clear()
        self._drained()

    def _drained(self) -> None:
        if self.on_drain is not None:
            self.on_drain()

    def new_callback(self, user_id: int, chat_id: int, message_id: int, data: str) -> str:
        self._callback_counter += 1
        query_id = f"{user_id}{self._callback_counter:08d}"
        self.callbacks[query_id] = CallbackRecord(query_id, user_id, chat_id, message_id, data)
        return query_id

    # listeners

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def emit(self, event: ChatEvent) -> None:
        for listener in list(self._listeners):
            try:
                result = listener(event)
            except Exception:
                # A broken transcript printer must not turn into a Bot API error.
                log.exception("sandbox listener failed on %s", event.kind)
                continue
            if inspect.isawaitable(result):
                task = asyncio.ensure_future(result)
                self._listener_tasks.add(task)
                task.add_done_callback(self._listener_tasks.discard)


def _update_kind(update: Json) -> str:
    return next(key for key in update if key != "update_id")
