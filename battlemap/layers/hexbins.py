"""H3 hexbins of poor persons: cell polygons built from the cell ids, on a second colour axis."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import h3
import pandas as pd

from battlemap.i18n import t
from battlemap.layers.base import FONT_FAMILY, colorscale

__all__ = ["cell_centres", "hexbin_coloraxis", "hexbin_geojson", "hexbin_trace"]


def hexbin_geojson(cells: Sequence[str]) -> dict[str, Any]:
    """FeatureCollection of H3 cells (id = cell), coordinates rounded to 5 decimals."""
    features = []
    for cell in cells:
        ring = [[round(lon, 5), round(lat, 5)] for lat, lon in h3.cell_to_boundary(cell)]
        ring.append(ring[0])
        features.append(
            {
                "type": "Feature",
                "id": cell,
                "properties": {},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def cell_centres(cells: Sequence[str]) -> tuple[list[float], list[float]]:
    """(lon, lat) lists of the cells' centres (for the heat layer above township level)."""
    points = [h3.cell_to_latlng(c) for c in cells]
    return [round(p[1], 5) for p in points], [round(p[0], 5) for p in points]


def hexbin_trace(frame: pd.DataFrame, *, lang: str = "zh") -> dict[str, Any]:
    """Choropleth of poor persons per cell on ``coloraxis2`` (frame: cell, poor_* counts)."""
    cells = frame["cell"].tolist()
    persons, households = t("persons_unit", lang), t("households_unit", lang)
    return {
        "type": "choroplethmap",
        "geojson": hexbin_geojson(cells),
        "featureidkey": "id",
        "locations": cells,
        "z": frame["poor_persons"].tolist(),
        "customdata": [
            [f"{p:,} {persons}", f"{h:,} {households}"]
            for p, h in zip(frame["poor_persons"], frame["poor_households"], strict=True)
        ],
        "coloraxis": "coloraxis2",
        "marker": {"line": {"width": 0.3, "color": "rgba(255,255,255,0.6)"}, "opacity": 0.8},
        "hovertemplate": "%{customdata[0]} · %{customdata[1]}<extra>H3</extra>",
        "name": "hexbins",
        "meta": "hexbins",
        "showlegend": False,
    }


def hexbin_coloraxis(zmax: float, *, lang: str = "zh") -> dict[str, Any]:
    """Colour axis of the hexbins (poor persons per cell), legend at the bottom right."""
    return {
        "colorscale": colorscale("YlOrRd"),
        "cmin": 0,
        "cmax": float(zmax) if zmax and zmax > 0 else 1.0,
        "colorbar": {
            "title": {
                "text": f"H3 · {t('poor_persons', lang)}",
                "side": "top",
                "font": {"family": FONT_FAMILY, "size": 12},
            },
            "orientation": "h",
            "x": 0.99,
            "xanchor": "right",
            "y": 0.01,
            "yanchor": "bottom",
            "len": 0.35,
            "thickness": 10,
            "bgcolor": "rgba(255,255,255,0.85)",
        },
    }
