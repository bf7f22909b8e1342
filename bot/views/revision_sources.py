"""Where a revision of a report came from, in words: typed in chat, a file import (format and
file name) or the API (token name). Plain text: an HTML message escapes it with ``user_text``."""

from __future__ import annotations

from bot.i18n import Translator

HASH_MARK = " sha256:"


def file_name_of(detail: str | None) -> str | None:
    """The file name of a file import's detail ``"<file name> sha256:<hex>"``."""
    if not detail:
        return None
    name, mark, _ = detail.rpartition(HASH_MARK)
    return name if mark else detail


def source_text(source: str, detail: str | None, t: Translator) -> str:
    """``chat`` -> "typed in chat", ``import:shopee_vn`` -> "file import shopee_vn: a.xlsx",
    ``api:n8n`` -> "API n8n"; an unknown source is shown as stored."""
    kind, _, name = source.partition(":")
    if kind == "import":
        file_name = file_name_of(detail)
        if file_name:
            return t("ingest_values.source.import_file", format=name or kind, file=file_name)
        return t("ingest_values.source.import", format=name or kind)
    if kind == "api":
        return t("ingest_values.source.api", name=name)
    if kind in ("chat", "cli") and not name:
        return t(f"ingest_values.source.{kind}")
    return source
