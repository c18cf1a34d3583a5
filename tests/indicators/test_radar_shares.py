"""Radar: share of registered households meeting each guarantee, region vs parent."""

from __future__ import annotations

from battlemap.geodata.metrics import guarantee_metric
from battlemap.indicators.radar import RADAR_DIMENSIONS, radar_shares, radar_vs_parent


def counts(total: int, met: int) -> dict[str, int]:
    return {"registered_households": total, **{guarantee_metric(g): met for g in RADAR_DIMENSIONS}}


def test_shares_and_parent() -> None:
    assert list(radar_shares(counts(8, 6))) == list(RADAR_DIMENSIONS)
    assert set(radar_shares(counts(8, 6)).values()) == {75.0}
    points = radar_vs_parent(counts(8, 6), counts(10, 9))
    assert [p.dimension for p in points][:2] == ["income", "housing"]
    assert (points[0].label, points[0].region_pct, points[0].parent_pct, points[0].diff_pp) == (
        "收入达标",
        75.0,
        90.0,
        -15.0,
    )


def test_empty_region_and_province() -> None:
    assert set(radar_shares(counts(0, 0)).values()) == {None}
    points = radar_vs_parent(counts(4, 4), None)
    assert all(p.parent_pct is None and p.diff_pp is None for p in points)
    assert points[0].as_dict()["region_pct"] == 100.0
