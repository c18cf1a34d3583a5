"""The map figure: layer traces on the offline style, view fitted to the region's bounds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from battlemap.layers.base import FONT_FAMILY, POINTS_FILL_OPACITY, Figure, map_style

__all__ = ["map_figure"]


def _fade_under_points(traces: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Household points on the map: the fills fade so every point colour stands out, and
    all names turn dark (white names were for full-strength dark fills)."""
    light = next((tr for tr in traces if tr.get("meta") == "labels-light"), None)
    out = []
    for tr in traces:
        meta = tr.get("meta")
        if meta in ("outline", "values"):
            tr = {**tr, "marker": {**tr["marker"], "opacity": POINTS_FILL_OPACITY}}
        elif meta == "labels" and light is not None:
            tr = {**tr, "text": [d or w for d, w in zip(tr["text"], light["text"], strict=True)]}
        elif meta == "labels-light":
            tr = {**tr, "text": [""] * len(tr["text"])}
        out.append(tr)
    return out


def map_figure(
    traces: Sequence[dict[str, Any]],
    *,
    view: dict[str, Any],
    uirevision: str,
    glyphs_url: str | None = None,
    coloraxis: dict[str, Any] | None = None,
    coloraxis2: dict[str, Any] | None = None,
    credit: str | None = None,
    meta: dict[str, Any] | None = None,
) -> Figure:
    """Assemble the map: ``uirevision`` (the region code) keeps pan/zoom across updates.

    ``credit`` is the boundary attribution drawn in the map's corner (kept in exports);
    ``meta`` (region, year, indicator) tells the browser which view a drawn figure shows.
    """
    if any(tr.get("meta") == "households" for tr in traces):
        traces = _fade_under_points(traces)
    layout: dict[str, Any] = {
        "map": {"style": map_style(glyphs_url), **view},
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "uirevision": uirevision,
        "font": {"family": FONT_FAMILY, "size": 12},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "showlegend": any(tr.get("showlegend") for tr in traces),
        "legend": {
            "x": 0.01,
            "y": 0.99,
            "xanchor": "left",
            "yanchor": "top",
            "bgcolor": "rgba(255,255,255,0.85)",
            "font": {"size": 11},
        },
        "clickmode": "event",
        "hoverlabel": {"font": {"family": FONT_FAMILY}},
    }
    if credit:
        layout["annotations"] = [
            {
                "text": credit,
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": 1,
                "y": 1,
                "xanchor": "right",
                "yanchor": "top",
                "yshift": -34,
                "font": {"size": 10, "color": "#555"},
                "bgcolor": "rgba(255,255,255,0.75)",
            }
        ]
    if meta:
        layout["meta"] = meta
    if coloraxis:
        layout["coloraxis"] = coloraxis
    if coloraxis2:
        # hexbins cover the choropleth: theirs is the one colour bar (two overlapped)
        layout["coloraxis2"] = coloraxis2
        if "coloraxis" in layout:
            layout["coloraxis"] = {**layout["coloraxis"], "showscale": False}
    return {"data": list(traces), "layout": layout}
