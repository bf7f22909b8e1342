"""Data kept by the sandbox and the Bot API JSON shapes built from it."""

from __future__ import annotations

import mimetypes
import struct
from dataclasses import dataclass, field
from typing import Any, Literal

Json = dict[str, Any]

EventKind = Literal[
    "user_text",
    "user_document",
    "button_press",
    "bot_message",
    "bot_photo",
    "bot_document",
    "bot_edit",
    "callback_answer",
]


class ApiError(Exception):
    """A Bot API error answer: HTTP status equals `error_code`, like Telegram."""

    def __init__(self, code: int, description: str, parameters: Json | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> Json:
        body: Json = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass(frozen=True)
class Described:
    """A successful answer that also carries Telegram's `description` (setWebhook does)."""

    result: Any
    description: str


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def forbidden(detail: str) -> ApiError:
    return ApiError(403, f"Forbidden: {detail}")


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: Literal["photo", "document"]
    file_path: str
    content: bytes
    file_name: str
    mime_type: str
    width: int = 0
    height: int = 0

    @property
    def size(self) -> int:
        return len(self.content)

    def document_json(self) -> Json:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            "file_size": self.size,
        }

    def file_json(self, file_id: str | None = None) -> Json:
        return {
            "file_id": file_id or self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.file_path,
        }


@dataclass
class SandboxAccount:
    """A human Telegram account known to the sandbox."""

    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = "vi"
    last_name: str | None = None

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name

    def to_json(self) -> Json:
        data: Json = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass
class SandboxChat:
    id: int
    type: Literal["private", "group", "supergroup"]
    title: str | None = None
    account: SandboxAccount | None = None
    username: str | None = None

    @property
    def display_name(self) -> str:
        if self.account is not None:
            return self.account.display_name
        return self.title or str(self.id)

    def to_json(self) -> Json:
        data: Json = {"id": self.id, "type": self.type}
        if self.account is not None:
            data["first_name"] = self.account.first_name
            if self.account.last_name:
                data["last_name"] = self.account.last_name
            if self.account.username:
                data["username"] = self.account.username
        else:
            data["title"] = self.title or ""
            if self.username:
                data["username"] = self.username
        return data

    def full_info_json(self) -> Json:
        """getChat's ChatFullInfo with the fields aiogram requires."""
        return {
            **self.to_json(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }


@dataclass
class Arrival:
    """A Bot API call as it reached the sandbox: when (the server's clock), which method, to
    which chat, and the HTTP status it was answered with (0 until answered)."""

    at: float
    method: str
    chat_id: int | None
    status: int = 0


@dataclass
class CallbackRecord:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answered: bool = False


@dataclass
class ChatEvent:
    """Something visible in a chat, for transcripts and scripted users.

    `user` is the human involved: the sender of user events, the recipient (or the group
    title) of bot events, the presser for callback answers. `keyboard` is a reply keyboard the
    bot attached (None: unchanged, []: removed). `data` holds the bytes of photos and
    documents; `raw` is the Message JSON (or the request parameters of a callback answer).
    """

    kind: EventKind
    chat_id: int
    user: str
    text: str = ""
    buttons: list[list[str]] = field(default_factory=list)
    file_name: str | None = None
    message_id: int | None = None
    user_id: int | None = None
    data: bytes | None = None
    keyboard: list[list[str]] | None = None
    show_alert: bool = False
    raw: Json = field(default_factory=dict)

    @property
    def from_bot(self) -> bool:
        return self.kind not in ("user_text", "user_document", "button_press")


def button_rows(message: Json) -> list[list[str]]:
    """Texts of the inline keyboard of a Message JSON."""
    markup = message.get("reply_markup") or {}
    return [[b.get("text", "") for b in row] for row in markup.get("inline_keyboard", [])]


def message_text(message: Json) -> str:
    return str(message.get("text") or message.get("caption") or "")


def guess_mime(filename: str, declared: str | None = None) -> str:
    if declared and declared != "application/octet-stream":
        return declared
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def image_size(content: bytes) -> tuple[str, int, int] | None:
    """Format and dimensions of PNG, JPEG, GIF or WebP bytes; None when not an image."""
    if content.startswith(b"\x89PNG\r\n\x1a\n") and len(content) >= 24:
        width, height = struct.unpack(">II", content[16:24])
        return "png", width, height
    if content[:6] in (b"GIF87a", b"GIF89a") and len(content) >= 10:
        width, height = struct.unpack("<HH", content[6:10])
        return "gif", width, height
    if content.startswith(b"\xff\xd8"):
        return _jpeg_size(content)
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "webp", 0, 0
    return None


def _jpeg_size(content: bytes) -> tuple[str, int, int] | None:
    pos = 2
    while pos + 9 < len(content):
        if content[pos] != 0xFF:
            return None
        marker = content[pos + 1]
        (length,) = struct.unpack(">H", content[pos + 2 : pos + 4])
        # SOF0..SOF15 carry the frame size; C4, C8 and CC are other tables.
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", content[pos + 5 : pos + 9])
            return "jpg", width, height
        pos += 2 + length
    return "jpg", 0, 0
