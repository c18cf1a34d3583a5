"""Region name labels at each unit's label point (drawn by MapLibre with the local CJK font)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["label_trace"]


def label_trace(
    codes: Sequence[str],
    names: Sequence[str],
    lon: Sequence[float],
    lat: Sequence[float],
    *,
    size: int = 12,
) -> dict[str, Any]:
    """A text-only ``scattermap`` trace; ``customdata`` carries the code so clicks drill."""
    return {
        "type": "scattermap",
        "mode": "text",
        "lon": list(lon),
        "lat": list(lat),
        "text": list(names),
        "customdata": [[c] for c in codes],
        "textfont": {"size": size, "color": "#1f2d3d"},
        "hoverinfo": "skip",
        "name": "labels",
        "showlegend": False,
    }
