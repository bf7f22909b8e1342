"""Telegram's HTML parse mode as the sandbox applies it."""

from __future__ import annotations

import pytest

from bot.sandbox.html_check import EntityParseError, format_text, parse_html, utf16_len


@pytest.mark.parametrize(
    ("source", "text", "entity"),
    [
        ("<b>x</b>", "x", {"type": "bold"}),
        ("<strong>x</strong>", "x", {"type": "bold"}),
        ("<em>x</em>", "x", {"type": "italic"}),
        ("<ins>x</ins>", "x", {"type": "underline"}),
        ("<del>x</del>", "x", {"type": "strikethrough"}),
        ('<span class="tg-spoiler">x</span>', "x", {"type": "spoiler"}),
        ("<tg-spoiler>x</tg-spoiler>", "x", {"type": "spoiler"}),
        (
            '<a href="https://e.vn/?a=1&amp;b=2">x</a>',
            "x",
            {"type": "text_link", "url": "https://e.vn/?a=1&b=2"},
        ),
        ("<code>x</code>", "x", {"type": "code"}),
        ('<pre><code class="language-sql">x</code></pre>', "x", {"type": "pre", "language": "sql"}),
        ("<blockquote>x</blockquote>", "x", {"type": "blockquote"}),
        ("<blockquote expandable>x</blockquote>", "x", {"type": "expandable_blockquote"}),
        ('<tg-emoji emoji-id="5368324170671202286">x</tg-emoji>', "x", {"type": "custom_emoji"}),
        ("<B>x</B>", "x", {"type": "bold"}),
    ],
)
def test_supported_tags(source: str, text: str, entity: dict[str, str]) -> None:
    parsed = parse_html(source)
    assert parsed.text == text
    [found] = parsed.entities
    assert entity.items() <= found.items()


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<font>x</font>", 'Unsupported start tag "font" at byte offset 0'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("Đơn <b", "Unclosed start tag at byte offset 6"),
        ("&copy;", 'Unsupported HTML entity "&copy;" at byte offset 0'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ('<a href="x>y</a>', 'Unclosed end of attribute value of the tag "a"'),
        ("<tg-emoji>x</tg-emoji>", 'Tag "tg-emoji" must have a numeric attribute "emoji-id"'),
    ],
)
def test_errors(source: str, error: str) -> None:
    with pytest.raises(EntityParseError) as caught:
        parse_html(source)
    assert str(caught.value).startswith(error)


def test_entities_and_lengths_use_utf16_and_decoded_text() -> None:
    parsed = parse_html("&#128512; &lt;<b>đ😀</b>&gt; &amp; &quot;&#x41;")
    assert parsed.text == '😀 <đ😀> & "A'
    assert parsed.entities == [{"type": "bold", "offset": 4, "length": 3}]
    assert (len(parsed.text), utf16_len(parsed.text)) == (11, 13)


def test_bare_ampersand_and_greater_than_are_text() -> None:
    assert parse_html("Tom & Jerry > 2").text == "Tom & Jerry > 2"


def test_surrounding_whitespace_is_trimmed_and_entities_follow() -> None:
    parsed = format_text("\n  <b> hi</b> there \n", "HTML")
    assert parsed.text == "hi there"
    assert parsed.entities == [{"type": "bold", "offset": 0, "length": 2}]


def test_other_modes_are_not_parsed() -> None:
    assert format_text("<b>x</b>", None).text == "<b>x</b>"
    assert format_text("*x*", "MarkdownV2").text == "*x*"
