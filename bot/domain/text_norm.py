"""Case- and diacritics-insensitive text for matching what people type.

Vietnamese is often typed without accents (``chi phi ads`` for ``chi phí ads``, ``don`` for
``đơn``), so names and suffixes are compared after folding: compatibility forms unified
(full-width digits, no-break spaces), lower case, accents dropped, ``đ`` read as ``d``.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# "đ" is a letter of its own in Unicode, not "d" plus a mark, so decomposition keeps it.
_LETTERS_WITHOUT_DECOMPOSITION = {"đ": "d", "ð": "d", "ø": "o", "ł": "l"}


@lru_cache(maxsize=4096)
def fold_char(char: str) -> str:
    """The folded form of one character; may be empty (a lone accent) or longer ("ß" -> "ss")."""
    text = unicodedata.normalize("NFKC", char).casefold()
    text = "".join(_LETTERS_WITHOUT_DECOMPOSITION.get(c, c) for c in text)
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Lower case without accents; whitespace is kept as it is (only unified by NFKC)."""
    return "".join(fold_char(c) for c in text)


def normalize(text: str) -> str:
    """Folded, trimmed, with every run of whitespace turned into one space."""
    return " ".join(fold(text).split())


def normalize_with_positions(text: str) -> tuple[str, tuple[int, ...]]:
    """``normalize(text)`` plus, for each of its characters, the index it came from in ``text``.

    Lets a caller match names on the folded text and still cut the original at the same place
    (to quote a user's own words back, accents included).
    """
    chars: list[str] = []
    positions: list[int] = []
    for index, char in enumerate(text):
        for folded in fold_char(char):
            if not folded.isspace():
                chars.append(folded)
                positions.append(index)
            elif chars and chars[-1] != " ":
                chars.append(" ")
                positions.append(index)
    if chars and chars[-1] == " ":
        chars.pop()
        positions.pop()
    return "".join(chars), tuple(positions)
