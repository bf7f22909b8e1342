"""Telegram's HTML parse mode: the tags it accepts, the errors it reports, the visible text.

The rules follow the Bot API "HTML style" section. Where Telegram is lenient, the sandbox is a
little stricter (an unknown `&name;` is an error) so that missing escapes show up in tests
rather than in production. Offsets in entities are UTF-16 code units, as in the Bot API;
error positions are UTF-8 byte offsets, as in Telegram's own messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
ALLOWED_TAGS = frozenset({*_SIMPLE_TAGS, "span", "a", "tg-emoji"})
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_NAME = re.compile(r"[A-Za-z0-9-]*")
_ATTR_NAME = re.compile(r"[A-Za-z0-9_-]+")
_ENTITY = re.compile(r"&(#[0-9]{1,8}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{0,15});")


class EntityParseError(ValueError):
    """Malformed HTML; str() is the part after "Bad Request: can't parse entities: "."""


@dataclass(frozen=True)
class ParsedText:
    text: str
    entities: list[dict[str, Any]]


@dataclass
class _OpenTag:
    name: str
    start: int  # UTF-16 offset in the visible text
    attrs: dict[str, str]
    language: str | None = None
    children: list[str] = field(default_factory=list)


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: characters outside the BMP take two units."""
    return len(text.encode("utf-16-le")) // 2


class _Parser:
    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0
        self.out: list[str] = []
        self.length = 0  # UTF-16 length of everything in `out`
        self.stack: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    def error(self, message: str, at: int | None = None) -> EntityParseError:
        if at is None:
            return EntityParseError(message)
        offset = len(self.src[:at].encode("utf-8"))
        return EntityParseError(f"{message} at byte offset {offset}")

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.length += utf16_len(text)

    def run(self) -> ParsedText:
        src = self.src
        while self.pos < len(src):
            char = src[self.pos]
            if char == "<":
                self.tag()
            elif char == "&":
                self.emit(self.entity())
            else:
                nxt = min(
                    (i for i in (src.find("<", self.pos), src.find("&", self.pos)) if i >= 0),
                    default=len(src),
                )
                self.emit(src[self.pos : nxt])
                self.pos = nxt
        if self.stack:
            name = self.stack[-1].name
            raise self.error(f'Can\'t find end tag corresponding to start tag "{name}"')
        return ParsedText("".join(self.out), self.entities)

    def entity(self) -> str:
        match = _ENTITY.match(self.src, self.pos)
        if match is None:
            # A bare "&" that does not look like an entity is kept, as Telegram does.
            self.pos += 1
            return "&"
        name = match.group(1)
        decoded = _decode_entity(name)
        if decoded is None:
            raise self.error(f'Unsupported HTML entity "&{name};"', self.pos)
        self.pos = match.end()
        return decoded

    def tag(self) -> None:
        begin = self.pos
        if self.src.startswith("</", begin):
            self.end_tag(begin)
        else:
            self.start_tag(begin)

    def end_tag(self, begin: int) -> None:
        match = _TAG_NAME.match(self.src, begin + 2)
        assert match is not None  # the pattern accepts the empty string
        name = match.group().lower()
        close = self.skip_spaces(match.end())
        if close >= len(self.src) or self.src[close] != ">":
            raise self.error("Unclosed end tag", begin)
        if not self.stack:
            raise self.error("Unexpected end tag", begin)
        top = self.stack[-1]
        if name != top.name:
            raise self.error(
                f"Unmatched end tag at byte offset {len(self.src[:begin].encode())}, "
                f'expected "</{top.name}>", found "</{name}>"'
            )
        self.pos = close + 1
        self.stack.pop()
        self.close_entity(top)

    def start_tag(self, begin: int) -> None:
        match = _TAG_NAME.match(self.src, begin + 1)
        assert match is not None
        name = match.group().lower()
        if name not in ALLOWED_TAGS:
            raise self.error(f'Unsupported start tag "{name}"', begin)
        attrs = self.attributes(name, match.end(), begin)
        self.check_attributes(name, attrs, begin)
        if self.stack:
            self.stack[-1].children.append(name)
        self.stack.append(_OpenTag(name, self.length, attrs))

    def attributes(self, tag: str, pos: int, begin: int) -> dict[str, str]:
        attrs: dict[str, str] = {}
        src = self.src
        while True:
            pos = self.skip_spaces(pos)
            if pos >= len(src):
                raise self.error("Unclosed start tag", begin)
            if src[pos] == ">":
                self.pos = pos + 1
                return attrs
            match = _ATTR_NAME.match(src, pos)
            if match is None:
                raise self.error(f'Empty attribute name in the tag "{tag}"', pos)
            key = match.group().lower()
            pos = self.skip_spaces(match.end())
            if pos < len(src) and src[pos] == "=":
                value, pos = self.attribute_value(tag, self.skip_spaces(pos + 1), begin)
            elif tag == "blockquote" and key == "expandable":
                value = ""
            else:
                raise self.error(
                    f'Expected equal sign in declaration of an attribute of the tag "{tag}"', pos
                )
            attrs[key] = value

    def attribute_value(self, tag: str, pos: int, begin: int) -> tuple[str, int]:
        src = self.src
        if pos >= len(src):
            raise self.error("Unclosed start tag", begin)
        quote = src[pos]
        if quote in "\"'":
            end = src.find(quote, pos + 1)
            if end < 0:
                raise self.error(f'Unclosed end of attribute value of the tag "{tag}"', pos)
            return _decode_all(src[pos + 1 : end], self, pos + 1), end + 1
        end = pos
        while end < len(src) and not src[end].isspace() and src[end] != ">":
            end += 1
        return _decode_all(src[pos:end], self, pos), end

    def check_attributes(self, name: str, attrs: dict[str, str], begin: int) -> None:
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise self.error('Tag "span" must have class "tg-spoiler"', begin)
        if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise self.error('Tag "tg-emoji" must have a numeric attribute "emoji-id"', begin)

    def skip_spaces(self, pos: int) -> int:
        while pos < len(self.src) and self.src[pos].isspace():
            pos += 1
        return pos

    def close_entity(self, tag: _OpenTag) -> None:
        parent = self.stack[-1] if self.stack else None
        if tag.name == "code" and parent is not None and parent.name == "pre":
            # <pre><code class="language-x"> is one pre entity with a language.
            css = tag.attrs.get("class", "")
            if css.startswith("language-"):
                parent.language = css.removeprefix("language-")
            return
        length = self.length - tag.start
        if length == 0:
            return  # Telegram drops empty entities
        entity: dict[str, Any] = {"type": _entity_type(tag), "offset": tag.start, "length": length}
        if tag.name == "a":
            entity["url"] = tag.attrs.get("href", "")
        elif tag.name == "tg-emoji":
            entity["custom_emoji_id"] = tag.attrs["emoji-id"]
        elif tag.name == "pre" and tag.language:
            entity["language"] = tag.language
        self.entities.append(entity)


def _entity_type(tag: _OpenTag) -> str:
    if tag.name == "span":
        return "spoiler"
    if tag.name == "a":
        return "text_link"
    if tag.name == "tg-emoji":
        return "custom_emoji"
    if tag.name == "blockquote" and "expandable" in tag.attrs:
        return "expandable_blockquote"
    return _SIMPLE_TAGS[tag.name]


def _decode_entity(name: str) -> str | None:
    if not name.startswith("#"):
        return _NAMED_ENTITIES.get(name)
    digits = name[1:]
    code = int(digits[1:], 16) if digits[:1] in ("x", "X") else int(digits)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _decode_all(value: str, parser: _Parser, base: int) -> str:
    """Entities inside attribute values follow the same rules as in text."""
    sub = _Parser(value)
    parts: list[str] = []
    while sub.pos < len(value):
        if value[sub.pos] == "&":
            try:
                parts.append(sub.entity())
            except EntityParseError:
                raise parser.error("Unsupported HTML entity in attribute value", base) from None
        else:
            parts.append(value[sub.pos])
            sub.pos += 1
    return "".join(parts)


def parse_html(source: str) -> ParsedText:
    """Visible text and entities of an HTML-formatted message, or EntityParseError."""
    return _Parser(source).run()


def strip_text(parsed: ParsedText) -> ParsedText:
    """Telegram trims surrounding whitespace from messages; entities are shifted to match."""
    text = parsed.text
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    stripped = text.strip()
    limit = utf16_len(stripped)
    entities: list[dict[str, Any]] = []
    for entity in parsed.entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, limit)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedText(stripped, entities)


# What Telegram does to every text it is sent (tdlib's clean_input_string): control characters
# become spaces, "\r" is dropped, and so are U+2028..U+202E and three combining marks.
_CLEANING = str.maketrans(
    {
        **{code: " " for code in range(32) if code not in (10, 13)},
        13: None,
        **{code: None for code in range(0x2028, 0x202F)},
        0x030A: None,
        0x0333: None,
        0x033F: None,
    }
)
# A message showing nothing but these is empty, and refused as such (tdlib's is_empty_string).
_EMPTY_CHARACTERS = " \n\u00a0\u200b\u200c\u200d\u200e\u200f\u202e\ufeff"


def clean_text(text: str) -> str:
    """``text`` as Telegram keeps it: a NUL is not refused, it is shown as a space."""
    return text.translate(_CLEANING)


def format_text(text: str, parse_mode: str | None) -> ParsedText:
    """What a message looks like after Telegram has applied `parse_mode`.

    Markdown modes are passed through unparsed: the bot under test uses HTML. A text that shows
    nothing visible comes back empty (the caller refuses it as "message text is empty").
    """
    mode = (parse_mode or "").lower()
    text = clean_text(text)
    parsed = parse_html(text) if mode == "html" else ParsedText(text, [])
    stripped = strip_text(parsed)
    if not stripped.text.strip(_EMPTY_CHARACTERS):
        return ParsedText("", [])
    return stripped
