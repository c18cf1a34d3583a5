"""Rankings: order, ties, unranked regions, rank change vs last year."""

from __future__ import annotations

import pytest

from battlemap.indicators.ranking import (
    RANKING_INDICATORS,
    indicator_value,
    rank_regions,
    rank_values,
)


def c(poor: int, population: int) -> dict[str, int]:
    return {"poor_persons": poor, "rural_population": population}


def test_rank_values() -> None:
    assert rank_values({"a": 3, "b": 5, "c": 5, "d": None}) == {"b": 1, "c": 1, "a": 3}
    assert rank_values({"a": 3, "b": 5, "c": 5}, ascending=True) == {"a": 1, "b": 2, "c": 2}
    assert rank_values({}) == {}


def test_rank_regions_with_change() -> None:
    now = {"x": c(5, 100), "y": c(1, 100), "z": c(3, 100), "w": c(0, 0)}
    before = {"x": c(1, 100), "y": c(5, 100), "z": c(3, 100)}
    rows = rank_regions(now, before, "incidence_pct", names={"x": "甲"})
    assert [(r.code, r.rank, r.previous_rank, r.change) for r in rows] == [
        ("x", 1, 3, 2),
        ("z", 2, 2, 0),
        ("y", 3, 1, -2),
        ("w", None, None, None),
    ]
    assert rows[0].name == "甲" and rows[0].value == 5.0 and rows[0].previous_value == 1.0
    best_first = rank_regions(now, None, "incidence_pct", ascending=True)
    assert [r.code for r in best_first] == ["y", "z", "x", "w"]
    assert all(r.change is None for r in best_first)


def test_any_indicator_by_name_or_function() -> None:
    assert (
        "wrong_exit_rate_pct" in RANKING_INDICATORS and "guarantee_water_pct" in RANKING_INDICATORS
    )
    rows = rank_regions({"a": {"k": 1}, "b": {"k": 2}}, None, lambda counts: counts["k"])
    assert [r.code for r in rows] == ["b", "a"]
    with pytest.raises(ValueError, match="unknown indicator 'nope'"):
        indicator_value("nope")
