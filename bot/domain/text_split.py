"""Telegram's length limits: long texts become several messages, never a refused one.

Telegram counts a message after entity parsing: tags do not count, ``&amp;`` counts as one
character, and lengths are UTF-16 code units. A text over the limit is split at line
boundaries (a line longer than the limit at spaces, a word longer than the limit anywhere);
formatting open at a cut is closed at the end of the chunk and opened again at the start of
the next, so every chunk is valid HTML on its own. Nothing is dropped: the chunks together
show the same visible text, apart from the line breaks and spaces at the cuts.

``split_message`` serves messages (4096) and ``split_caption`` captions (1024, the rest in
follow-up messages). ``plain_text`` is what an HTML text looks like without its formatting.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from enum import Enum

__all__ = [
    "CAPTION_LIMIT",
    "MESSAGE_LIMIT",
    "plain_text",
    "split_caption",
    "split_message",
    "visible_length",
]

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024

# A start or end tag (attribute values may hold ">" inside quotes), or a character entity.
_MARKUP = re.compile(
    r"<(?P<close>/?)(?P<name>[A-Za-z][A-Za-z0-9-]*)(?:[^>\"']|\"[^\"]*\"|'[^']*')*>"
    r"|(?P<entity>&(?:#[0-9]{1,8}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{0,15});)"
)
_WORDS = re.compile(r"\S+\s*|\s+")
# What Telegram does not count as content: a message of only these is "empty" and refused.
# Every character Python calls white space is one of them (U+0085, U+2028, U+3000...).
_SPACES = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace())
_INVISIBLE = (
    "".join(map(chr, range(33))) + _SPACES + "\xa0\u200b\u200c\u200d\u200e\u200f\u202e\ufeff"
)


class _Kind(Enum):
    TEXT = "text"
    OPEN = "open"
    CLOSE = "close"


@dataclass(frozen=True)
class _Piece:
    source: str  # what goes into the message
    width: int  # visible UTF-16 units
    kind: _Kind = _Kind.TEXT
    name: str = ""  # tag name for OPEN and CLOSE
    shows: bool = False  # visible content besides whitespace


def _text(source: str, shown: str | None = None) -> _Piece:
    shown = source if shown is None else shown
    return _Piece(source, utf16_len(shown), shows=bool(shown.strip(_INVISIBLE)))


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _lines(text: str, *, parse_html: bool) -> list[list[_Piece]]:
    """The text as lines of pieces; tags are zero-width pieces, entities one piece each."""
    lines: list[list[_Piece]] = [[]]

    def add_text(run: str) -> None:
        parts = run.split("\n")
        for index, part in enumerate(parts):
            if index:
                lines.append([])
            if part:
                lines[-1].append(_text(part))

    if not parse_html:
        add_text(text)
        return lines
    pos = 0
    for match in _MARKUP.finditer(text):
        add_text(text[pos : match.start()])
        pos = match.end()
        token = match.group()
        if match.group("entity"):
            lines[-1].append(_text(token, html.unescape(token)))
        else:
            kind = _Kind.CLOSE if match.group("close") else _Kind.OPEN
            lines[-1].append(_Piece(token, 0, kind, match.group("name").lower()))
    add_text(text[pos:])
    return lines


@dataclass
class _Packer:
    """Fills chunks up to their limit, keeping the open tags balanced in each."""

    limit: int
    first_limit: int
    chunks: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    width: int = 0
    lines_in_chunk: int = 0
    visible: bool = False  # the chunk shows something besides whitespace
    stack: list[_Piece] = field(default_factory=list)

    @property
    def capacity(self) -> int:
        return self.first_limit if not self.chunks else self.limit

    @property
    def room(self) -> int:
        return self.capacity - self.width

    def add(self, piece: _Piece) -> None:
        self.parts.append(piece.source)
        self.width += piece.width
        if piece.kind is _Kind.OPEN:
            self.stack.append(piece)
        elif piece.kind is _Kind.CLOSE:
            for depth in range(len(self.stack) - 1, -1, -1):
                if self.stack[depth].name == piece.name:
                    del self.stack[depth:]
                    break
        elif piece.shows:
            self.visible = True

    def flush(self) -> None:
        if self.visible:
            closing = "".join(f"</{tag.name}>" for tag in reversed(self.stack))
            self.chunks.append("".join(self.parts) + closing)
            self.parts = [tag.source for tag in self.stack]
            self.width = 0
            self.lines_in_chunk = 0
            self.visible = False
        # A chunk with nothing to show is kept growing: Telegram refuses empty messages.

    def add_line(self, line: list[_Piece]) -> None:
        width = sum(piece.width for piece in line)
        separator = 1 if self.lines_in_chunk else 0
        if separator + width > self.room and self.visible:
            self.flush()
            separator = 1 if self.lines_in_chunk else 0
        if separator:
            self.add(_text("\n"))
        self.lines_in_chunk += 1
        if width <= self.room:
            for piece in line:
                self.add(piece)
            return
        self.wrap(line)

    def wrap(self, line: list[_Piece]) -> None:
        """A line longer than a chunk: cut at spaces, a word longer than a chunk anywhere."""
        for piece in line:
            if piece.kind is not _Kind.TEXT or piece.width <= self.room:
                self.add(piece)
                continue
            for word in _WORDS.findall(piece.source):
                self.add_word(word)
        self.lines_in_chunk = max(self.lines_in_chunk, 1)  # the line goes on in this chunk

    def add_word(self, word: str) -> None:
        width = utf16_len(word)
        if width > self.room and self.visible:
            self.flush()
        if width <= self.room:
            self.add(_text(word))
            return
        for char in word:
            char_width = utf16_len(char)
            if char_width > self.room and self.visible:
                self.flush()
            self.add(_text(char))

    def finish(self) -> list[str]:
        if self.visible:
            self.chunks.append("".join(self.parts) + "".join(f"</{t.name}>" for t in self.stack))
        return self.chunks


def split_message(
    text: str,
    limit: int = MESSAGE_LIMIT,
    *,
    parse_html: bool = True,
    first_limit: int | None = None,
) -> list[str]:
    """The text as messages of at most ``limit`` visible units each (``first_limit`` for the
    first one), in order; one chunk (the text itself) when it fits.

    A text with nothing visible comes back unchanged, as one chunk.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    first = limit if first_limit is None else first_limit
    if visible_length(text, parse_html=parse_html) <= first:
        return [text]
    packer = _Packer(limit=limit, first_limit=max(first, 1))
    for line in _lines(text, parse_html=parse_html):
        packer.add_line(line)
    return packer.finish() or [text]


def split_caption(
    caption: str, limit: int = CAPTION_LIMIT, *, parse_html: bool = True
) -> tuple[str, list[str]]:
    """A caption that fits (whole lines while they fit) and the rest as follow-up messages."""
    if visible_length(caption, parse_html=parse_html) <= limit:
        return caption, []
    chunks = split_message(caption, MESSAGE_LIMIT, parse_html=parse_html, first_limit=limit)
    return chunks[0], chunks[1:]


def visible_length(text: str, *, parse_html: bool = True) -> int:
    """Length as Telegram counts it: after entity parsing, in UTF-16 code units."""
    return utf16_len(plain_text(text) if parse_html else text)


def plain_text(text: str) -> str:
    """The visible text of an HTML message: tags removed, entities decoded."""
    return _MARKUP.sub(_shown, text)


def _shown(match: re.Match[str]) -> str:
    return html.unescape(match.group()) if match.group("entity") else ""
