"""Links and attachments of order forms."""

from __future__ import annotations

import pytest

from bot.domain.order_fields import (
    MAX_ATTACHMENT_BYTES,
    NOT_A_PHOTO,
    TOO_BIG,
    UNSUPPORTED_FILE,
    Attachment,
    attachment_problem,
    looks_like_link,
    normalize_link,
)


def doc(name: str, mime: str | None, size: int | None = 1000) -> Attachment:
    return Attachment("document", "BQAC-1", name, mime, size)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://drive.google.com/abc", "https://drive.google.com/abc"),
        ("http://shopee.vn/x?y=1", "http://shopee.vn/x?y=1"),
        ("drive.google.com/file/abc", "https://drive.google.com/file/abc"),
        ("www.canva.com/design/1", "https://www.canva.com/design/1"),
        ("not a link", None),
        ("ftp://files.example.com/a", None),
        ("javascript:alert(1)", None),
        ("https://localhost/a", None),
        ("https://exa mple.com", None),
        ("", None),
    ],
)
def test_links_are_validated(text: str, expected: str | None) -> None:
    assert normalize_link(text) == expected


def test_a_free_answer_looks_like_a_link_only_when_it_starts_like_one() -> None:
    assert looks_like_link("https://drive.google.com/x")
    assert looks_like_link("www.figma.com/file/1")
    assert not looks_like_link("đã xong, xem drive nhé")


def test_attachments_are_checked_for_size_then_type() -> None:
    assert attachment_problem("file", doc("brief.pdf", "application/pdf")) is None
    assert attachment_problem("file", doc("setup.exe", "application/x-msdownload")) == (
        UNSUPPORTED_FILE
    )
    big = doc("brief.pdf", "application/pdf", MAX_ATTACHMENT_BYTES + 1)
    assert attachment_problem("file", big) == TOO_BIG
    assert attachment_problem("photo", doc("photo.png", "image/png")) is None
    assert attachment_problem("photo", doc("brief.pdf", "application/pdf")) == NOT_A_PHOTO
    telegram_photo = Attachment("photo", "AgAC-1", "photo.jpg", "image/jpeg", 50_000)
    assert attachment_problem("photo", telegram_photo) is None
    assert attachment_problem("file", telegram_photo) is None
