"""Recognition names exactly the stores and people at or above the threshold."""

from __future__ import annotations

from bot.domain.kpi import MetricKpi, SubjectKpi
from bot.domain.recognition import at_or_above, person_pace, praise


def _person(*paces: tuple[float | None, float | None]) -> SubjectKpi:
    metrics = {
        f"m{i}": MetricKpi(f"m{i}", 1.0, 1.0, 1.0, 1.0, 0.0, pace, None, None, target)
        for i, (pace, target) in enumerate(paces)
    }
    return SubjectKpi("person:1", "x", metrics, 1, 1)


def test_exactly_those_at_or_above_the_threshold() -> None:
    paces = [("B", 1.1), ("A", 1.25), ("C", 1.0999), ("D", None), ("E", 0.8), ("B", 1.3)]
    assert at_or_above(paces, 1.1) == ("A", "B")
    assert at_or_above(paces, 1.3) == ("B",)
    assert at_or_above([], 1.1) == ()


def test_a_person_is_praised_only_when_ahead_on_every_target() -> None:
    ahead = _person((1.2, 100.0), (1.15, 50.0))
    mixed = _person((1.5, 100.0), (1.05, 50.0))
    untargeted = _person((2.0, None))  # a pace without a personal target does not count
    assert person_pace(ahead) == 1.15
    assert person_pace(untargeted) is None
    found = praise(
        [("HS-SHOPEE", 1.1), ("HS-TIKTOK", 1.09)],
        {"Lan": ahead, "Vy": mixed, "Quân": untargeted},
        1.1,
    )
    assert found.stores == ("HS-SHOPEE",)
    assert found.people == ("Lan",)
    assert praise([("X", 1.0)], {"Vy": mixed}, 1.1).empty
