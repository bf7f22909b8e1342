"""The Bot API methods the sandbox implements, with Telegram's validation and error texts."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from bot.sandbox.html_check import EntityParseError, ParsedText, format_text, utf16_len
from bot.sandbox.models import (
    ApiError,
    ChatEvent,
    Described,
    EventKind,
    Json,
    SandboxChat,
    StoredFile,
    Upload,
    bad_request,
    button_rows,
    forbidden,
    guess_mime,
    image_size,
    message_text,
)
from bot.sandbox.store import ChatStore
from bot.sandbox.validation import Params, check_command, inline_markup, reply_keyboard
from bot.sandbox.webhook import (
    TERMINATED_BY_SET_WEBHOOK,
    WEBHOOK_ACTIVE,
    WebhookDeliverer,
    parse_set_webhook,
)

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_ANSWER_TEXT = 200
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
STALE_QUERY = "query is too old and response timeout expired or query ID is invalid"
CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
PARSE_MODES = frozenset({"html", "markdown", "markdownv2"})
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
COMMAND_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)

Handler = Callable[[Params], Awaitable[Any]]


@dataclass
class _Poll:
    """One waiting getUpdates request."""

    wake: asyncio.Event
    # Why a newer call ended this one with 409 (another getUpdates, or setWebhook).
    superseded: str | None = None


class BotApi:
    """The bot's side of the sandbox: one coroutine per Bot API method, on a shared store."""

    def __init__(
        self,
        store: ChatStore,
        bot_user: Json,
        closing: asyncio.Event,
        webhook: WebhookDeliverer,
    ) -> None:
        self.store = store
        self.webhook = webhook
        self.bot_user = bot_user
        self.bot_id: int = bot_user["id"]
        self.closing = closing
        self.commands: dict[tuple[str, str], list[Json]] = {}
        self._poll: _Poll | None = None

    def wake_poller(self) -> None:
        if self._poll is not None:
            self._poll.wake.set()

    def handlers(self) -> dict[str, Handler]:
        return {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "getFile": self._get_file,
            "sendChatAction": self._send_chat_action,
            "getChat": self._get_chat,
        }

    # Bot API methods: bot and updates

    async def _get_me(self, p: Params) -> Json:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, p: Params) -> list[Json]:
        if self.webhook.active:
            raise ApiError(409, WEBHOOK_ACTIVE)
        offset = p.integer("offset", "wrong parameter offset") or 0
        limit = min(max(p.integer("limit", "wrong parameter limit") or 100, 1), 100)
        timeout = max(p.integer("timeout", "wrong parameter timeout") or 0, 0)
        allowed = p.get("allowed_updates")
        if isinstance(allowed, list):
            self.store.set_allowed_updates(str(kind) for kind in allowed)
        self.store.confirm(offset)
        poll = self._begin_poll()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while True:
                if poll.superseded is not None:
                    raise ApiError(409, poll.superseded)
                if self.store.updates or self.closing.is_set():
                    return copy.deepcopy(self.store.updates[:limit])
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return []
                poll.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(poll.wake.wait(), remaining)
        finally:
            if self._poll is poll:
                self._poll = None

    def _begin_poll(self) -> _Poll:
        """Telegram allows one getUpdates at a time; a newer one ends the older with 409."""
        self._end_poll(CONFLICT)
        self._poll = _Poll(asyncio.Event())
        return self._poll

    def _end_poll(self, reason: str) -> None:
        if self._poll is not None:
            self._poll.superseded = reason
            self._poll.wake.set()

    async def _set_webhook(self, p: Params) -> Described:
        config = parse_set_webhook(p)
        if config is None:  # an empty url removes the webhook, as deleteWebhook does
            return await self._delete_webhook(p)
        allowed = p.get("allowed_updates")
        if isinstance(allowed, list):
            self.store.set_allowed_updates(str(kind) for kind in allowed)
        if p.flag("drop_pending_updates"):
            await self.webhook.drop_pending()
        self._end_poll(TERMINATED_BY_SET_WEBHOOK)
        changed = await self.webhook.set(config)
        return Described(True, "Webhook was set" if changed else "Webhook is already set")

    async def _delete_webhook(self, p: Params) -> Described:
        removed = await self.webhook.remove()
        if p.flag("drop_pending_updates"):
            await self.webhook.drop_pending()
        return Described(True, "Webhook was deleted" if removed else "Webhook is already deleted")

    async def _get_webhook_info(self, p: Params) -> Json:
        return self.webhook.info()

    async def _set_my_commands(self, p: Params) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("too many commands")
        cleaned = [check_command(item) for item in commands]
        key = (self._scope_key(p), p.text("language_code") or "")
        if cleaned:
            self.commands[key] = cleaned
        else:
            self.commands.pop(key, None)
        return True

    async def _get_my_commands(self, p: Params) -> list[Json]:
        key = (self._scope_key(p), p.text("language_code") or "")
        return copy.deepcopy(self.commands.get(key, []))

    async def _delete_my_commands(self, p: Params) -> bool:
        self.commands.pop((self._scope_key(p), p.text("language_code") or ""), None)
        return True

    def _scope_key(self, p: Params) -> str:
        scope = p.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in COMMAND_SCOPES:
            raise bad_request("can't parse BotCommandScope JSON object")
        scope = dict(scope)
        if "chat_id" in scope:
            scope["chat_id"] = self._chat(Params({"chat_id": scope["chat_id"]})).id
        elif scope["type"] in ("chat", "chat_administrators", "chat_member"):
            raise bad_request("chat_id is empty")
        return canonical(scope)

    # Bot API methods: sending

    async def _send_message(self, p: Params) -> Json:
        chat = self._writable_chat(p)
        parsed = self._formatted(p, "text", MAX_TEXT, "message is too long")
        if not parsed.text:
            raise bad_request("message text is empty")
        content: Json = {"text": parsed.text}
        if parsed.entities:
            content["entities"] = parsed.entities
        return self._send(p, chat, "bot_message", content)

    async def _send_photo(self, p: Params) -> Json:
        chat = self._writable_chat(p)
        stored = self._media(p, "photo")
        content: Json = {"photo": self._photo_sizes(stored), **self._caption(p)}
        return self._send(p, chat, "bot_photo", content, stored)

    async def _send_document(self, p: Params) -> Json:
        chat = self._writable_chat(p)
        stored = self._media(p, "document")
        content: Json = {"document": stored.document_json(), **self._caption(p)}
        return self._send(p, chat, "bot_document", content, stored)

    def _send(
        self,
        p: Params,
        chat: SandboxChat,
        kind: EventKind,
        content: Json,
        stored: StoredFile | None = None,
    ) -> Json:
        markup, keyboard = self._markup(p)
        reply_to = self._reply_to(p, chat)
        thread = self._thread(p, chat)
        if thread is not None:
            content["message_thread_id"] = thread
            content["is_topic_message"] = True
        if markup is not None:
            content["reply_markup"] = markup
        if reply_to is not None:
            content["reply_to_message"] = reply_to
        message = self.store.add_message(chat, self.bot_user, content)
        if keyboard is not None:
            self.store.reply_keyboards[chat.id] = keyboard
        self._emit_bot(kind, chat, message, keyboard=keyboard, stored=stored)
        return copy.deepcopy(message)

    def _emit_bot(
        self,
        kind: EventKind,
        chat: SandboxChat,
        message: Json,
        *,
        keyboard: list[list[str]] | None = None,
        stored: StoredFile | None = None,
    ) -> None:
        event = ChatEvent(
            kind=kind,
            chat_id=chat.id,
            user=chat.display_name,
            text=message_text(message),
            buttons=button_rows(message),
            file_name=stored.file_name if stored else None,
            message_id=message["message_id"],
            user_id=chat.account.id if chat.account else None,
            data=stored.content if stored else None,
            keyboard=keyboard,
            raw=copy.deepcopy(message),
        )
        self.store.emit(event)

    def _chat(self, p: Params) -> SandboxChat:
        raw = p.get("chat_id")
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        chat: SandboxChat | None
        if isinstance(raw, str) and raw.startswith("@"):
            chat = self.store.chat_by_username(raw)
        else:
            try:
                chat = self.store.chats.get(int(raw))
            except (TypeError, ValueError):
                chat = None
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _writable_chat(self, p: Params) -> SandboxChat:
        chat = self._chat(p)
        if chat.type == "private" and chat.id in self.store.blocked:
            raise forbidden("bot was blocked by the user")
        return chat

    def _thread(self, p: Params, chat: SandboxChat) -> int | None:
        """The forum topic a message goes to (``message_thread_id``), recorded on the message."""
        thread = p.integer("message_thread_id", "message thread not found")
        if thread is None:
            return None
        if thread < 1 or chat.type == "private":
            raise bad_request("message thread not found")
        return thread

    def _formatted(self, p: Params, name: str, limit: int, too_long: str) -> ParsedText:
        """Text after parse_mode is applied; limits count the visible text, as Telegram does."""
        mode = p.text("parse_mode")
        if mode and mode.lower() not in PARSE_MODES:
            raise bad_request("unsupported parse_mode")
        try:
            parsed = format_text(p.text(name) or "", mode)
        except EntityParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
        given = p.get("entities" if name == "text" else "caption_entities")
        if not mode and isinstance(given, list):
            parsed = ParsedText(parsed.text, given)
        if utf16_len(parsed.text) > limit:
            raise bad_request(too_long)
        return parsed

    def _caption(self, p: Params) -> Json:
        parsed = self._formatted(p, "caption", MAX_CAPTION, "message caption is too long")
        content: Json = {}
        if parsed.text:
            content["caption"] = parsed.text
            if parsed.entities:
                content["caption_entities"] = parsed.entities
        return content

    def _markup(self, p: Params) -> tuple[Json | None, list[list[str]] | None]:
        """(inline markup for the message, reply keyboard change: None unchanged, [] removed)."""
        markup = p.get("reply_markup")
        if markup is None or markup == "":
            return None, None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            return inline_markup(markup["inline_keyboard"]), None
        if "keyboard" in markup:
            return None, reply_keyboard(markup["keyboard"])
        if markup.get("remove_keyboard"):
            return None, []
        if markup.get("force_reply"):
            return None, None
        raise bad_request("can't parse reply keyboard markup JSON object")

    def _inline_only(self, p: Params) -> Json | None:
        markup, keyboard = self._markup(p)
        if keyboard is not None:
            raise bad_request("inline keyboard expected")
        return markup

    def _reply_to(self, p: Params, chat: SandboxChat) -> Json | None:
        params = p.get("reply_parameters")
        if isinstance(params, dict):
            wanted = Params(params).integer("message_id", "message to be replied not found")
            allow = Params(params).flag("allow_sending_without_reply")
        else:
            wanted = p.integer("reply_to_message_id", "message to be replied not found")
            allow = p.flag("allow_sending_without_reply")
        if wanted is None:
            return None
        target = self.store.message(chat.id, wanted)
        if target is None:
            if allow:
                return None
            raise bad_request("message to be replied not found")
        # Telegram does not nest replies more than one level deep.
        return {k: copy.deepcopy(v) for k, v in target.items() if k != "reply_to_message"}

    def _media(self, p: Params, kind: Literal["photo", "document"]) -> StoredFile:
        value = p.get(kind)
        if value is None or value == "":
            raise bad_request(f"there is no {kind} in the request")
        if isinstance(value, Upload):
            return self._store_upload(kind, value)
        reference = str(value)
        if reference.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content")
        stored = self.store.files.get(reference)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise bad_request(f"can't use file of type {stored.kind.title()} as {kind.title()}")
        return stored

    def _store_upload(self, kind: Literal["photo", "document"], upload: Upload) -> StoredFile:
        if not upload.content:
            raise bad_request("file must be non-empty")
        limit = MAX_PHOTO_BYTES if kind == "photo" else MAX_DOCUMENT_BYTES
        if len(upload.content) > limit:
            raise ApiError(413, "Request Entity Too Large")
        if kind == "document":
            mime = guess_mime(upload.filename, upload.content_type)
            extension = Path(upload.filename).suffix
            return self.store.add_file(kind, upload.content, upload.filename, mime, extension)
        info = image_size(upload.content)
        if info is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        fmt, width, height = info
        mime = "image/jpeg" if fmt == "jpg" else f"image/{fmt}"
        return self.store.add_file(
            kind, upload.content, upload.filename, mime, f".{fmt}", (width, height)
        )

    def _photo_sizes(self, stored: StoredFile) -> list[Json]:
        """Telegram returns several sizes, smallest first; here they share the same bytes."""
        width, height = stored.width, stored.height
        longest = max(width, height)
        sizes: list[Json] = []
        for index, bound in enumerate((90, 320, 800)):
            if longest <= bound:
                break
            alias = f"{stored.file_id}-{bound}"
            self.store.add_file_alias(alias, stored)
            scale = bound / longest
            sizes.append(
                {
                    "file_id": alias,
                    "file_unique_id": f"{stored.file_unique_id}{index}",
                    "width": max(1, round(width * scale)),
                    "height": max(1, round(height * scale)),
                    "file_size": stored.size,
                }
            )
        sizes.append(
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": width,
                "height": height,
                "file_size": stored.size,
            }
        )
        return sizes

    # Bot API methods: editing and the rest

    async def _edit_message_text(self, p: Params) -> Json:
        chat, message = self._editable(p)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        parsed = self._formatted(p, "text", MAX_TEXT, "message is too long")
        if not parsed.text:
            raise bad_request("message text is empty")
        changes = {
            "text": parsed.text,
            "entities": parsed.entities or None,
            "reply_markup": self._inline_only(p),
        }
        return self._apply_edit(chat, message, changes)

    async def _edit_message_caption(self, p: Params) -> Json:
        chat, message = self._editable(p)
        if "photo" not in message and "document" not in message:
            raise bad_request("there is no caption in the message to edit")
        caption = self._caption(p)
        changes = {
            "caption": caption.get("caption"),
            "caption_entities": caption.get("caption_entities"),
            "reply_markup": self._inline_only(p),
        }
        return self._apply_edit(chat, message, changes)

    async def _edit_message_reply_markup(self, p: Params) -> Json:
        chat, message = self._editable(p)
        return self._apply_edit(chat, message, {"reply_markup": self._inline_only(p)})

    def _editable(self, p: Params) -> tuple[SandboxChat, Json]:
        if p.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._writable_chat(p)
        message_id = p.integer("message_id", "message identifier is not specified")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = self.store.message(chat.id, message_id)
        if message is None:
            raise bad_request("message to edit not found")
        if message["from"].get("id") != self.bot_id:
            raise bad_request("message can't be edited")
        return chat, message

    def _apply_edit(self, chat: SandboxChat, message: Json, changes: Json) -> Json:
        if all(message.get(key) == value for key, value in changes.items()):
            raise bad_request(NOT_MODIFIED)
        for key, value in changes.items():
            if value is None:
                message.pop(key, None)
            else:
                message[key] = value
        message["edit_date"] = self.store.now()
        self._emit_bot("bot_edit", chat, message)
        return copy.deepcopy(message)

    async def _delete_message(self, p: Params) -> bool:
        chat = self._chat(p)
        message_id = p.integer("message_id", "message identifier is not specified")
        if message_id is None or not self.store.delete_message(chat.id, message_id):
            raise bad_request("message to delete not found")
        return True

    async def _answer_callback_query(self, p: Params) -> bool:
        record = self.store.callbacks.get(p.text("callback_query_id") or "")
        if record is None or record.answered:
            raise bad_request(STALE_QUERY)
        text = p.text("text") or ""
        if len(text) > MAX_ANSWER_TEXT:
            raise bad_request("MESSAGE_TOO_LONG")
        record.answered = True
        account = self.store.accounts[record.user_id]
        event = ChatEvent(
            kind="callback_answer",
            chat_id=record.chat_id,
            user=account.display_name,
            text=text,
            message_id=record.message_id,
            user_id=record.user_id,
            show_alert=p.flag("show_alert"),
            raw={k: v for k, v in p.values.items() if not isinstance(v, Upload)},
        )
        self.store.emit(event)
        return True

    async def _get_file(self, p: Params) -> Json:
        file_id = p.text("file_id") or ""
        stored = self.store.files.get(file_id)
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.size > MAX_DOWNLOAD_BYTES:
            raise bad_request("file is too big")
        return stored.file_json(file_id)

    async def _send_chat_action(self, p: Params) -> bool:
        self._writable_chat(p)
        if p.text("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    async def _get_chat(self, p: Params) -> Json:
        return self._chat(p).full_info_json()


def canonical(value: Any) -> str:
    """Stable JSON text, used as the key of a command scope."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
