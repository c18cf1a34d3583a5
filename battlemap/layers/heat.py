"""Heat (density) of poor persons: weighted points in a ``densitymap`` trace."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from battlemap.i18n import t
from battlemap.layers.base import FONT_FAMILY, colorscale

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
    lang: str = "zh",
) -> dict[str, Any]:
    """Density of ``weight`` (poor persons) at points (households or H3 cell centres).

    Its legend is a vertical bar at the right edge (apart from the choropleth's and the
    hexbins' bars at the bottom), from 少 to 多: the density has no unit of its own.
    """
    top = max([float(w) for w in weight] + [1.0])
    return {
        "type": "densitymap",
        "lon": list(lon),
        "lat": list(lat),
        "z": list(weight),
        "radius": HEAT_RADIUS.get(level, 15),
        "colorscale": colorscale("YlOrRd"),
        "zmin": 0,
        "zmax": top,
        "showscale": True,
        "colorbar": {
            "title": {
                "text": t("layer_heat", lang),
                "side": "top",
                "font": {"family": FONT_FAMILY, "size": 11},
            },
            "orientation": "v",
            "x": 0.99,
            "xanchor": "right",
            "y": 0.5,
            "yanchor": "middle",
            "len": 0.35,
            "thickness": 10,
            "tickvals": [0, top],
            "ticktext": [t("heat_low", lang), t("heat_high", lang)],
            "bgcolor": "rgba(255,255,255,0.85)",
        },
        "opacity": 0.75,
        "hoverinfo": "skip",
        "name": name,
        "meta": "heat",
        "showlegend": False,
    }
