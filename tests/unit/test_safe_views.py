"""The one escaping path (``bot.views.safe``) and a view that cuts HTML (the alert status line)."""

from __future__ import annotations

from bot.domain.text_split import visible_length
from bot.sandbox.html_check import parse_html
from bot.views.alerts import CAPTION_LIMIT, with_status_line
from bot.views.safe import ECHO_LIMIT, user_params, user_text


def test_user_text_is_shown_as_typed() -> None:
    for typed in ("<b>x</i>", "<script>alert(1)</script>", "&amp; &#0; &foo;", "a < b > c", "'\""):
        assert parse_html(f"<b>«{user_text(typed)}»</b>").text == f"«{typed}»"


def test_user_text_shortens_long_values_with_an_ellipsis() -> None:
    assert user_text("x" * 500, 10) == "x" * 9 + "…"
    assert user_text("<" * 500, ECHO_LIMIT) == "&lt;" * (ECHO_LIMIT - 1) + "…"
    assert user_text("short", 10) == "short"
    assert user_text(None) == "" and user_text(12) == "12"


def test_user_params_escape_text_and_keep_numbers() -> None:
    assert user_params({"text": "<b>", "max": 40}) == {"text": "&lt;b&gt;", "max": 40}
    assert user_params({"codes": "y" * 300}, limit=None) == {"codes": "y" * 300}


def test_a_status_line_on_a_full_alert_keeps_whole_lines_and_valid_html() -> None:
    original = "\n".join(f"<b>HS-{n:03d}</b> · Doanh thu &amp; đơn: <i>12tr</i>" for n in range(60))
    line = "👌 <b>Lan</b> đã nhận lúc 09:00 21/11"
    edited = with_status_line(original, line, photo=True)
    parsed = parse_html(edited)  # balanced: Telegram takes it
    assert visible_length(edited) <= CAPTION_LIMIT
    assert parsed.text.endswith("Lan đã nhận lúc 09:00 21/11")
    kept = edited.split("\n\n")[0].split("\n")
    assert kept == original.split("\n")[: len(kept)] and len(kept) > 10
