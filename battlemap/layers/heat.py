"""Heat (density) of poor persons: weighted points in a ``densitymap`` trace."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from battlemap.layers.base import colorscale

__all__ = ["HEAT_RADIUS", "heat_trace"]

# Kernel radius in pixels by the level of the region in view.
HEAT_RADIUS: dict[int, int] = {1: 14, 2: 16, 3: 18, 4: 14, 5: 18}


def heat_trace(
    lon: Sequence[float],
    lat: Sequence[float],
    weight: Sequence[float],
    *,
    level: int,
    name: str = "heat",
) -> dict[str, Any]:
    """Density of ``weight`` (poor persons) at points (households or H3 cell centres)."""
    return {
        "type": "densitymap",
        "lon": list(lon),
        "lat": list(lat),
        "z": list(weight),
        "radius": HEAT_RADIUS.get(level, 15),
        "colorscale": colorscale("YlOrRd"),
        "showscale": False,
        "opacity": 0.75,
        "hoverinfo": "skip",
        "name": name,
        "meta": "heat",
        "showlegend": False,
    }
