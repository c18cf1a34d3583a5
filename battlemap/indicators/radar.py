"""Radar of the seven guarantees: share of registered households meeting each, vs parent.

A household-year counts as meeting *income* when its income is strictly above the year's
line, and as meeting each other dimension when its flag is true (see
:mod:`battlemap.indicators.household`). Shares are of all registered households in the year,
in percent; a region without households has None shares.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from battlemap.indicators.household import GUARANTEE_LABELS
from battlemap.indicators.incidence import percent
from battlemap.indicators.metric_names import guarantee_metric
from battlemap.indicators.rules import GUARANTEES

__all__ = ["RADAR_DIMENSIONS", "RadarPoint", "radar_shares", "radar_vs_parent"]

RADAR_DIMENSIONS: tuple[str, ...] = GUARANTEES
Counts = Mapping[str, int]


@dataclass(frozen=True)
class RadarPoint:
    """One dimension: region and parent share (percent) and the gap in points."""

    dimension: str
    label: str
    region_pct: float | None
    parent_pct: float | None
    diff_pp: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def radar_shares(counts: Counts) -> dict[str, float | None]:
    """Dimension id → share of registered households meeting it (percent).

    >>> c = {"registered_households": 4, **{f"guarantee_households_{g}": 3 for g in GUARANTEES}}
    >>> radar_shares(c)["income"]
    75.0
    """
    total = counts["registered_households"]
    return {g: percent(counts[guarantee_metric(g)], total) for g in RADAR_DIMENSIONS}


def radar_vs_parent(counts: Counts, parent: Counts | None) -> list[RadarPoint]:
    """The seven dimensions for a region and its parent (None parent for a province)."""
    here = radar_shares(counts)
    there = radar_shares(parent) if parent is not None else dict.fromkeys(RADAR_DIMENSIONS)
    out = []
    for g in RADAR_DIMENSIONS:
        a, b = here[g], there[g]
        diff = None if a is None or b is None else round(a - b, 4)
        out.append(RadarPoint(g, GUARANTEE_LABELS[g], a, b, diff))
    return out
