"""Long texts split for Telegram's limits (``bot.domain.text_split``).

Each chunk is checked with the sandbox's own parser of Telegram's HTML (the one that answers
400 to the bot in end-to-end tests): it must parse, fit the limit after entity parsing, and the
chunks together must show everything the text showed.
"""

from __future__ import annotations

import unicodedata
from html import escape

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.domain.text_split import (
    CAPTION_LIMIT,
    MESSAGE_LIMIT,
    plain_text,
    split_caption,
    split_message,
    visible_length,
)
from bot.sandbox.html_check import parse_html, utf16_len


def shown(chunk: str) -> str:
    return parse_html(chunk).text


def squeezed(text: str) -> str:
    """Visible text: cuts may drop a line break or a space, and a piece that would show
    nothing at all (control or zero-width characters only) is not sent on its own."""
    return "".join(
        ch for ch in text if not ch.isspace() and unicodedata.category(ch) not in ("Cc", "Cf")
    )


def check_chunks(text: str, chunks: list[str], limit: int, first: int | None = None) -> None:
    assert chunks, "no chunks"
    for index, chunk in enumerate(chunks):
        cap = first if index == 0 and first is not None else limit
        visible = shown(chunk)  # raises on unbalanced tags or bad entities
        assert utf16_len(visible) <= cap, (index, utf16_len(visible))
        assert visible.strip(), f"chunk {index} shows nothing"
    assert squeezed("".join(shown(c) for c in chunks)) == squeezed(shown(text))


def test_a_text_that_fits_comes_back_as_it_is() -> None:
    text = "<b>Tổng</b>: 12.500.000 ₫ &amp; 85 đơn"
    assert split_message(text) == [text]
    assert split_caption(text) == (text, [])


def test_lines_are_kept_whole_and_in_order() -> None:
    lines = [f"{n:03d} {'x' * 40}" for n in range(300)]  # 300 x 45 = 13,500 characters
    text = "\n".join(lines)
    chunks = split_message(text)
    check_chunks(text, chunks, MESSAGE_LIMIT)
    assert len(chunks) == 4
    rebuilt = [line for chunk in chunks for line in chunk.split("\n")]
    assert rebuilt == lines
    assert all(utf16_len(chunk) > MESSAGE_LIMIT - 50 for chunk in chunks[:-1])  # filled up


def test_formatting_open_at_a_cut_is_closed_and_opened_again() -> None:
    body = "\n".join(
        f"• <i>{n}</i> <a href='https://x.example/?a=1&amp;b={n}'>link</a>" for n in range(600)
    )
    text = f"<b>Title</b>\n<blockquote><b>{body}</b></blockquote>\nend"
    chunks = split_message(text, 1000)
    check_chunks(text, chunks, 1000)
    assert len(chunks) > 3
    for chunk in chunks[1:-1]:
        assert chunk.startswith("<blockquote><b>") and chunk.endswith("</b></blockquote>")
        types = {entity["type"] for entity in parse_html(chunk).entities}
        assert {"bold", "blockquote", "italic", "text_link"} <= types


def test_entities_count_as_one_character() -> None:
    exact = "&amp;" * MESSAGE_LIMIT
    assert visible_length(exact) == MESSAGE_LIMIT
    assert split_message(exact) == [exact]
    over = exact + "&lt;"
    chunks = split_message(over)
    check_chunks(over, chunks, MESSAGE_LIMIT)
    assert len(chunks) == 2
    assert all("&amp" not in chunk[1:4] for chunk in chunks)  # never cut inside an entity


def test_tags_do_not_count() -> None:
    text = "<b>" + "a" * MESSAGE_LIMIT + "</b>"
    assert visible_length(text) == MESSAGE_LIMIT
    assert split_message(text) == [text]


def test_astral_characters_count_twice() -> None:
    emoji = "👩‍👩‍👧‍👦"  # 4 astral + 3 ZWJ = 11 UTF-16 units
    assert visible_length(emoji) == 11
    text = emoji * 400  # 4,400 units in one line without spaces
    chunks = split_message(text)
    check_chunks(text, chunks, MESSAGE_LIMIT)
    assert len(chunks) == 2


def test_a_long_line_is_cut_at_spaces() -> None:
    words = [f"w{n:04d}" for n in range(1500)]  # one line, 1500 x 6 = 9,000 characters
    text = " ".join(words)
    chunks = split_message(text)
    check_chunks(text, chunks, MESSAGE_LIMIT)
    rebuilt = [word for chunk in chunks for word in shown(chunk).split()]
    assert rebuilt == words  # no word was cut in two


def test_a_word_longer_than_a_message_is_cut_anywhere() -> None:
    text = "head\n" + "z" * 9000 + "\ntail"
    chunks = split_message(text)
    check_chunks(text, chunks, MESSAGE_LIMIT)
    assert [len(chunk) for chunk in chunks] == [4, 4096, 4096, 808 + 5]
    assert chunks[0] == "head" and chunks[-1].endswith("z\ntail")


def test_plain_text_counts_every_character() -> None:
    text = "<b>" * 1500  # 4,500 characters when not parsed as HTML
    assert split_message(text, parse_html=True) == [text]  # tags only: nothing visible, as it is
    chunks = split_message(text, parse_html=False)
    assert [len(chunk) for chunk in chunks] == [4096, 404]  # "<" and "b" are just characters
    assert "".join(chunks) == text


def test_caption_keeps_whole_lines_and_sends_the_rest() -> None:
    lines = [f"<b>{n}</b> {escape('<x> & y')} {'m' * 50}" for n in range(60)]
    text = "\n".join(lines)
    caption, rest = split_caption(text)
    check_chunks(text, [caption, *rest], MESSAGE_LIMIT, first=CAPTION_LIMIT)
    assert rest
    assert caption.split("\n") == lines[: len(caption.split("\n"))]
    assert visible_length(caption) > CAPTION_LIMIT - 70  # as many whole lines as fit


def test_plain_text_removes_tags_and_decodes_entities() -> None:
    assert plain_text("<b>a</b> &lt;i&gt; &amp; <a href='x'>b</a>") == "a <i> & b"
    assert plain_text("<b>x</i>") == "x"  # also for broken markup: the fallback's input


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError):
        split_message("abc", 0)


LINE_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\r"), min_size=0, max_size=120
)


@st.composite
def documents(draw: st.DrawFn) -> str:
    """Texts shaped like the bot's: lines of escaped user text inside nested formatting."""
    parts: list[str] = []
    open_tags: list[str] = []
    for _ in range(draw(st.integers(1, 80))):
        action = draw(st.sampled_from(["text", "text", "text", "newline", "open", "close"]))
        if action == "text":
            parts.append(escape(draw(LINE_TEXT)))
        elif action == "newline":
            parts.append("\n")
        elif action == "open":
            tag = draw(st.sampled_from(["b", "i", "code", "blockquote", "a"]))
            parts.append("<a href='https://e.example/?q=1&amp;r=2'>" if tag == "a" else f"<{tag}>")
            open_tags.append(tag)
        elif open_tags:
            parts.append(f"</{open_tags.pop()}>")
    parts.extend(f"</{tag}>" for tag in reversed(open_tags))
    return "".join(parts)


@settings(max_examples=150, deadline=None)
@given(documents(), st.integers(min_value=20, max_value=600))
@example("000000000000\U00010000\U00010000\U00010000\U00010000\x08", 20)  # a control char alone
@example("a" * 19 + "\n\n\n \x85", 20)  # a piece of white space Python knows (NEL) alone
def test_any_document_splits_into_valid_chunks(text: str, limit: int) -> None:
    if not shown(text).strip():
        assert split_message(text, limit) == [text]
        return
    check_chunks(text, split_message(text, limit), limit)


@settings(max_examples=80, deadline=None)
@given(documents(), st.integers(min_value=20, max_value=300))
def test_any_caption_splits_into_a_caption_and_messages(text: str, limit: int) -> None:
    if not shown(text).strip():
        return
    caption, rest = split_caption(text, limit)
    check_chunks(text, [caption, *rest], MESSAGE_LIMIT, first=limit)
