"""Folding text for case- and accent-insensitive matching."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.text_norm import fold, normalize, normalize_with_positions


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Chi Phí ADS", "chi phi ads"),
        ("đơn", "don"),
        ("ĐƠN HÀNG", "don hang"),
        ("huỷ", "huy"),
        ("hủy", "huy"),
        ("  lượt   truy\tcập ", "luot truy cap"),
        ("triệu", "trieu"),
        ("tỷ", "ty"),
        ("nghìn", "nghin"),
        ("VNĐ", "vnd"),
        ("１２\u00a0500", "12 500"),
        ("e\u0302\u0301", "e"),  # decomposed accents
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_fold_keeps_whitespace_and_symbols() -> None:
    assert fold("12,5 Tr ₫") == "12,5 tr ₫"


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=40))
def test_positions_point_back_into_the_text(text: str) -> None:
    folded, positions = normalize_with_positions(text)
    assert folded == normalize(text)
    assert len(positions) == len(folded)
    assert list(positions) == sorted(positions)
    assert all(0 <= p < len(text) for p in positions)
