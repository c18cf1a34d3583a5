"""Region name labels at each unit's label point (drawn by MapLibre with the local CJK font).

Two text traces, dark and light: a name over a dark fill is drawn in white. Both traces
always hold every unit (same points, same order); a name is written in one of them and is
an empty string in the other. A value Patch then only swaps ``text``: no trace ever goes
from empty to non-empty, which MapLibre did not redraw (issue 17: names vanished after a
year or indicator change until the page was reloaded).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["LIGHT_FROM", "label_traces", "light_flags"]

# Names over fills darker than this share of the colour range are drawn in white.
LIGHT_FROM = 0.6
_COLOURS = ("#1f2d3d", "#ffffff")


def light_flags(
    values: Sequence[float | int | None] | None, zmax: float | None, count: int
) -> list[bool]:
    """True for each unit whose name goes white (its fill is in the dark part of the scale).

    >>> light_flags([1.0, None, 9.0], 10.0, 3)
    [False, False, True]
    """
    if values is None or not zmax:
        return [False] * count
    return [v is not None and v >= LIGHT_FROM * zmax for v in values]


def _trace(
    codes: Sequence[str],
    names: list[str],
    lon: Sequence[float],
    lat: Sequence[float],
    *,
    size: int,
    light: bool,
) -> dict[str, Any]:
    return {
        "type": "scattermap",
        "mode": "text",
        "lon": list(lon),
        "lat": list(lat),
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
    """[dark, light] text traces over all units; ``customdata`` carries the code so a click
    on a name drills (both traces carry it, so either one drills to the same unit)."""
    light = light_flags(values, zmax, len(codes))
    return [
        _trace(
            codes,
            [n if flag == want else "" for n, flag in zip(names, light, strict=True)],
            lon,
            lat,
            size=size,
            light=want,
        )
        for want in (False, True)
    ]
