"""Region name labels at each unit's label point (drawn by MapLibre with the local CJK font).

Two text traces, dark and light: a name over a dark fill is drawn in white. Both are always
present (maybe empty) so a value Patch can move names between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["LIGHT_FROM", "label_traces"]

# Names over fills darker than this share of the colour range are drawn in white.
LIGHT_FROM = 0.6
_COLOURS = ("#1f2d3d", "#ffffff")


def _trace(
    codes: list[str],
    names: list[str],
    lon: list[float],
    lat: list[float],
    *,
    size: int,
    light: bool,
) -> dict[str, Any]:
    return {
        "type": "scattermap",
        "mode": "text",
        "lon": lon,
        "lat": lat,
        "text": names,
        "customdata": [[c] for c in codes],
        "textfont": {"size": size, "color": _COLOURS[light]},
        "hoverinfo": "skip",
        "name": "labels-light" if light else "labels",
        "meta": "labels-light" if light else "labels",
        "showlegend": False,
    }


def label_traces(
    codes: Sequence[str],
    names: Sequence[str],
    lon: Sequence[float],
    lat: Sequence[float],
    *,
    values: Sequence[float | int | None] | None = None,
    zmax: float | None = None,
    size: int = 12,
) -> list[dict[str, Any]]:
    """[dark, light] text traces; ``customdata`` carries the code so clicks drill."""
    light = [
        bool(values is not None and zmax and v is not None and v >= LIGHT_FROM * zmax)
        for v in (values if values is not None else [None] * len(codes))
    ]
    parts: list[dict[str, Any]] = []
    for want in (False, True):
        keep = [i for i, flag in enumerate(light) if flag == want]
        parts.append(
            _trace(
                [codes[i] for i in keep],
                [names[i] for i in keep],
                [lon[i] for i in keep],
                [lat[i] for i in keep],
                size=size,
                light=want,
            )
        )
    return parts
