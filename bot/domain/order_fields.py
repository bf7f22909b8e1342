"""Checks of order-form answers that need nothing but the answer: links and attachments."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.domain.file_names import extension as file_extension

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024  # what a bot may download from Telegram
MAX_TEXT_LENGTH = 1000
MAX_LINK_LENGTH = 500

PHOTO_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp"})
FILE_EXTENSIONS = PHOTO_EXTENSIONS | frozenset(
    {
        ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".txt", ".csv",
        ".zip", ".rar", ".psd", ".ai", ".svg", ".mp4", ".mov",
    }
)  # fmt: skip

# Error keys (translated by the caller as ``order.error.<key>``).
TOO_BIG = "too_big"
UNSUPPORTED_FILE = "unsupported_file"
NOT_A_PHOTO = "not_a_photo"
BAD_LINK = "bad_link"
TOO_LONG = "too_long"

_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


@dataclass(frozen=True)
class Attachment:
    """A file a member sent: Telegram keeps the bytes, we keep its ``file_id``."""

    kind: str  # photo | document
    file_id: str
    name: str
    mime: str | None
    size: int | None

    def to_json(self) -> dict[str, str | int | None]:
        return {
            "kind": self.kind,
            "file_id": self.file_id,
            "name": self.name,
            "mime": self.mime,
            "size": self.size,
        }


def attachment_problem(field_type: str, attachment: Attachment) -> str | None:
    """Why the file cannot answer a ``photo`` or ``file`` field (size, then type)."""
    if attachment.size is not None and attachment.size > MAX_ATTACHMENT_BYTES:
        return TOO_BIG
    if attachment.kind == "photo":
        return None  # Telegram photos are always JPEG, fine for both field types
    extension = file_extension(attachment.name)
    is_image = (attachment.mime or "").startswith("image/") and extension in PHOTO_EXTENSIONS
    if field_type == "photo":
        return None if is_image else NOT_A_PHOTO
    return None if extension in FILE_EXTENSIONS else UNSUPPORTED_FILE


def normalize_link(text: str) -> str | None:
    """An http(s) URL with a real host name; ``www.x.vn/y`` gets ``https://``. None otherwise."""
    candidate = text.strip()
    if not candidate or len(candidate) > MAX_LINK_LENGTH or any(c.isspace() for c in candidate):
        return None
    if not re.match(r"^[a-z][a-z0-9+.-]*://", candidate, re.IGNORECASE):
        candidate = "https://" + candidate
    try:
        parts = urlsplit(candidate)
        host = parts.hostname or ""
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    if not _HOST.match(host.lower()):
        return None
    return candidate


def looks_like_link(text: str) -> bool:
    """Whether a free answer (e.g. a delivery) is meant as a link."""
    stripped = text.strip()
    return bool(re.match(r"^(https?://|www\.)\S+$", stripped, re.IGNORECASE))
