"""Reminder and escalation texts stay within Telegram's 4096 characters, however long the list."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

from bot.domain.missing_reports import MissingReport
from bot.i18n import Translator
from bot.views.discipline import escalation_text, reminder_keyboard, reminder_text
from storage.repositories.discipline import Reporter, StoreRow

DAY = date(2026, 11, 20)
JOINED = datetime(2026, 1, 1, tzinfo=UTC)


def person(n: int, name: str = "Nguyễn Thị Minh Khai") -> Reporter:
    return Reporter(n, 1000 + n, f"{name} {n}", "staff", 1, "vi", True, JOINED)


def stores(count: int) -> tuple[StoreRow, ...]:
    return tuple(
        StoreRow(i, f"STORE-{i:03d}", "Cửa hàng có một cái tên rất dài " * 3, 1)
        for i in range(count)
    )


def test_a_long_escalation_is_cut_with_a_count_of_the_rest() -> None:
    missing = [MissingReport(person(n), "growth", "store", stores(6), streak=n % 20 + 1)
               for n in range(300)]  # fmt: skip
    text = escalation_text("Tăng trưởng", missing, DAY, Translator("vi"))
    assert len(text) < 4096
    shown = text.count("\n• ")
    match = re.search(r"… và (\d+) người nữa", text)
    assert match is not None and shown + int(match.group(1)) == 300
    assert "từ 14 ngày trở lên" in text  # the longest streaks come first, capped
    assert "+2" in text  # six stores: four named, two counted


def test_a_reminder_for_many_long_named_stores_fits_and_points_to_report() -> None:
    missing = MissingReport(person(1), "growth", "store", stores(30))
    t = Translator("en")
    text = reminder_text(missing, DAY, t, nudge=False, deadline=time(10, 30))
    assert len(text) < 4096
    match = re.search(r"… and (\d+) more stores", text)
    assert match is not None and text.count("• ") + int(match.group(1)) == 30
    assert "for the other 22: type /report" in text
    keyboard = reminder_keyboard(missing, DAY, t)
    assert len(keyboard.inline_keyboard) == 8
    assert all(len(row[0].callback_data or "") <= 64 for row in keyboard.inline_keyboard)


def test_names_are_escaped() -> None:
    missing = MissingReport(person(1, "<b>Bob</b> & co"), "growth", "person")
    text = reminder_text(missing, DAY, Translator("vi"), nudge=True, deadline=time(10, 30))
    assert "&lt;b&gt;Bob&lt;/b&gt; &amp; co" in text and "nhắc nhẹ" in text
