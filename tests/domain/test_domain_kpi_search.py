"""Store and brand search: codes, names without accents, small typos, several matches."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.search import Candidate, edit_distance, search

CANDIDATES = [
    Candidate("brand", 1, "HS", "Mỹ Phẩm Hoa Sen"),
    Candidate("brand", 2, "TTSG", "Thời Trang Sài Gòn"),
    Candidate("store", 10, "HS-SHOPEE", "Hoa Sen Official Store (Shopee)"),
    Candidate("store", 11, "HS-TIKTOK", "Hoa Sen Beauty (TikTok Shop)"),
    Candidate("store", 12, "TTSG-Q1", "Cửa hàng TTSG Quận 1"),
]


def codes(query: str) -> list[str]:
    return [m.candidate.code for m in search(query, CANDIDATES)]


def test_exact_code_wins_alone_in_any_case() -> None:
    assert codes("hs-shopee") == ["HS-SHOPEE"]
    assert codes("HS") == ["HS"]


def test_name_without_accents_and_with_a_typo() -> None:
    assert codes("my pham") == ["HS"]
    assert codes("my phamm") == ["HS"]
    assert codes("thoi trang sai gon") == ["TTSG"]
    assert codes("cua hang quan 1") == ["TTSG-Q1"]


def test_several_matches_brand_first() -> None:
    assert codes("hoa sen") == ["HS", "HS-SHOPEE", "HS-TIKTOK"]


def test_nothing_close_finds_nothing() -> None:
    assert codes("banana") == []
    assert codes("   ") == []


def test_short_words_need_to_be_exact() -> None:
    assert codes("hx") == []


@given(st.text(max_size=12), st.text(max_size=12))
def test_edit_distance_is_symmetric_and_bounded(a: str, b: str) -> None:
    limit = 20
    assert edit_distance(a, b, limit) == edit_distance(b, a, limit)
    assert edit_distance(a, b, limit) <= max(len(a), len(b))
    assert (edit_distance(a, b, limit) == 0) == (a == b)
