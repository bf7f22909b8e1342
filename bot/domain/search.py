"""Finding a store or brand from what someone typed: code or name, any case, with or without
Vietnamese accents, forgiving a small typo (``my pham`` and ``my phamm`` find "Mỹ Phẩm …").

Pure: the caller passes only the candidates the member may see, so a name outside their scope
can never be suggested.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.domain.text_norm import normalize

# Match quality, best first.
EXACT_CODE = 0
EXACT_NAME = 1
CONTAINS = 2
WORD_PREFIXES = 3
FUZZY = 4


@dataclass(frozen=True)
class Candidate:
    kind: str  # "store" | "brand" | "department" | ...
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class Match:
    candidate: Candidate
    quality: int
    distance: int = 0


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, or ``limit + 1`` as soon as it is certainly above ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            cost = 0 if char_a == char_b else 1
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def typo_allowance(word: str) -> int:
    """How many edits a typed word may be off by: none for very short words."""
    if len(word) <= 2:
        return 0
    return 1 if len(word) <= 5 else 2


def _word_distance(
    typed: str, words: Sequence[str], memo: dict[tuple[str, str], int]
) -> int | None:
    """Smallest edit distance of ``typed`` to a word (or a word's start) within allowance."""
    allowance = typo_allowance(typed)
    best: int | None = None
    for word in words:
        for target in (word, word[: len(typed)]):
            key = (typed, target)
            distance = memo.get(key)
            if distance is None:
                distance = memo[key] = edit_distance(typed, target, allowance)
            if distance <= allowance and (best is None or distance < best):
                best = distance
    return best


@lru_cache(maxsize=8192)
def _forms(code: str, name: str) -> tuple[str, str, tuple[str, ...]]:
    """Folded code, folded name and the words of both (cached: the same catalogue every time)."""
    folded_code, folded_name = normalize(code), normalize(name)
    words = (
        *folded_name.replace("(", " ").replace(")", " ").split(),
        *folded_code.replace("-", " ").split(),
    )
    return folded_code, folded_name, words


def _plain_quality(query: str, candidate: Candidate) -> Match | None:
    code, name, words = _forms(candidate.code, candidate.name)
    if query == code:
        return Match(candidate, EXACT_CODE)
    if query == name:
        return Match(candidate, EXACT_NAME)
    if query in code or query in name:
        return Match(candidate, CONTAINS)
    if all(any(w.startswith(t) for w in words) for t in query.split()):
        return Match(candidate, WORD_PREFIXES)
    return None


def _fuzzy_quality(
    query: str, candidate: Candidate, memo: dict[tuple[str, str], int]
) -> Match | None:
    words = _forms(candidate.code, candidate.name)[2]
    distances = [_word_distance(t, words, memo) for t in query.split()]
    if all(d is not None for d in distances):
        return Match(candidate, FUZZY, sum(d for d in distances if d is not None))
    return None


def search(query: str, candidates: Iterable[Candidate], *, typos: bool = True) -> list[Match]:
    """The best matches only: an exact code wins alone; otherwise every match of the best
    quality (and, among typos, the smallest distance), brands first, then by code.

    Typos are looked for only when nothing matches plainly (that is the slow part), and not at
    all with ``typos=False`` (a caller with other names to try first)."""
    wanted = normalize(query)
    if not wanted:
        return []
    pool = list(candidates)
    for candidate in pool:  # the common case, a code typed in full: one cheap pass
        if _forms(candidate.code, candidate.name)[0] == wanted:
            return [Match(candidate, EXACT_CODE)]
    matches = [m for m in (_plain_quality(wanted, c) for c in pool) if m is not None]
    if not matches and typos:
        memo: dict[tuple[str, str], int] = {}
        matches = [m for m in (_fuzzy_quality(wanted, c, memo) for c in pool) if m is not None]
    if not matches:
        return []
    best = min((m.quality, m.distance) for m in matches)
    top = [m for m in matches if (m.quality, m.distance) == best]
    return sorted(top, key=lambda m: (m.candidate.kind != "brand", m.candidate.code))
