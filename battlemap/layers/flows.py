"""Migration arcs: relocation (origin unit → resettlement site) and labour (county → city).

Each flow is a curved polyline; line width can only vary per trace, so flows are bucketed
by persons into a few widths and every bucket is one ``scattermap`` trace with ``None`` gaps.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from battlemap.i18n import t

__all__ = ["WIDTHS", "arc", "arrowhead", "flow_traces"]

WIDTHS: tuple[float, ...] = (1.0, 2.0, 3.5, 5.5)
COLOURS = {"relocation": "#1f4e9c", "labour": "#ff7f0e"}
# Labour flows reach far-away cities: drawn thinner and fainter, under the relocation arcs.
STYLE = {"relocation": (1.0, 0.6), "labour": (0.6, 0.35)}  # width factor, opacity: names show
TOP_DESTINATIONS = 5  # labour flows kept per origin unit (the largest)
_SEGMENTS = 16


def arc(
    start: tuple[float, float], end: tuple[float, float], *, bend: float = 0.18
) -> list[tuple[float, float]]:
    """Points of a quadratic Bézier from ``start`` to ``end`` bulging left by ``bend``.

    >>> arc((0.0, 0.0), (1.0, 0.0))[0], arc((0.0, 0.0), (1.0, 0.0))[-1]
    ((0.0, 0.0), (1.0, 0.0))
    """
    (x0, y0), (x1, y1) = start, end
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    dx, dy = x1 - x0, y1 - y0
    cx, cy = mx - dy * bend, my + dx * bend
    points = []
    for i in range(_SEGMENTS + 1):
        s = i / _SEGMENTS
        x = (1 - s) ** 2 * x0 + 2 * (1 - s) * s * cx + s**2 * x1
        y = (1 - s) ** 2 * y0 + 2 * (1 - s) * s * cy + s**2 * y1
        points.append((round(x, 5), round(y, 5)))
    return points


def arrowhead(
    points: list[tuple[float, float]], *, share: float = 0.12, spread: float = 0.45
) -> list[tuple[float, float]]:
    """The two wings of an arrow at the end of a polyline, as ``[left, end, right]``: drawn
    on with the line, so a flow shows its direction (scattermap has no arrow markers).

    The wings are ``share`` of the line's straight length long (in screen-like units, lon
    scaled by cos(lat)) and open by ``spread`` radians either side.

    >>> [p[1] > 0 for p in arrowhead([(0.0, 0.0), (1.0, 0.0)])]
    [True, False, False]
    """
    (x0, y0), (x1, y1) = points[-2], points[-1]
    (sx, sy) = points[0]
    scale = math.cos(math.radians(y1)) or 1.0
    length = math.hypot((x1 - sx) * scale, y1 - sy) * share
    angle = math.atan2(y1 - y0, (x1 - x0) * scale)
    wings = []
    for turn in (spread, -spread):
        a = angle + math.pi - turn
        dx, dy = length * math.cos(a) / scale, length * math.sin(a)
        wings.append((round(x1 + dx, 5), round(y1 + dy, 5)))
    return [wings[0], (x1, y1), wings[1]]


def _buckets(persons: np.ndarray) -> np.ndarray:
    """Width class 0..3 of each flow by its share of the largest flow (sqrt scale)."""
    if len(persons) == 0:
        return np.zeros(0, dtype=int)
    top = max(float(persons.max()), 1.0)
    share = np.sqrt(persons / top)
    return np.minimum((share * len(WIDTHS)).astype(int), len(WIDTHS) - 1)


def _kind_traces(
    kind: str,
    origins: list[tuple[float, float]],
    ends: list[tuple[float, float]],
    hover: list[str],
    persons: np.ndarray,
    label: str,
) -> list[dict[str, Any]]:
    traces = []
    classes = _buckets(persons)
    for b in range(len(WIDTHS)):
        lon: list[float | None] = []
        lat: list[float | None] = []
        text: list[str | None] = []
        for i in np.flatnonzero(classes == b):
            line = arc(origins[i], ends[i])
            for x, y in line:
                lon.append(x)
                lat.append(y)
                text.append(hover[i])
            for x, y in arrowhead(line):  # the arc's own points carry the hover
                lon.append(x)
                lat.append(y)
                text.append(None)
            lon.append(None)
            lat.append(None)
            text.append(None)
        if not lon:
            continue
        factor, opacity = STYLE[kind]
        traces.append(
            {
                "type": "scattermap",
                "mode": "lines",
                "lon": lon,
                "lat": lat,
                "line": {"width": round(WIDTHS[b] * factor, 2), "color": COLOURS[kind]},
                "opacity": opacity,
                "text": text,
                "hoverinfo": "text",
                "name": label,
                "legendgroup": kind,
                "meta": "flows",
                "showlegend": not traces,
            }
        )
    return traces


def flow_traces(
    relocations: pd.DataFrame,
    labour: pd.DataFrame,
    origins: Mapping[str, tuple[float, float]],
    names: Mapping[str, str],
    *,
    lang: str = "zh",
) -> list[dict[str, Any]]:
    """Arc traces of both flow kinds plus destination markers (labour under relocation).

    ``origins`` maps a unit code to its label point; flows from unknown units are skipped;
    labour flows keep each origin's :data:`TOP_DESTINATIONS` largest destinations.
    """
    persons_unit = t("persons_unit", lang)
    traces: list[dict[str, Any]] = []
    out = labour[labour["origin_code"].isin(list(origins))]
    if not out.empty:
        out = (
            out.sort_values(["origin_code", "persons"], ascending=[True, False], kind="stable")
            .groupby("origin_code", sort=False)
            .head(TOP_DESTINATIONS)
        )
        starts = [origins[c] for c in out["origin_code"]]
        ends = list(zip(out["dest_lon"], out["dest_lat"], strict=True))
        hover = [
            f"{names.get(o, o)} → {d}: {p:,} {persons_unit}"
            for o, d, p in zip(
                out["origin_code"], out["destination_name"], out["persons"], strict=True
            )
        ]
        traces += _kind_traces(
            "labour", starts, ends, hover, out["persons"].to_numpy(np.float64), t("labour", lang)
        )
        dests = out.groupby("destination_name", as_index=False).agg(
            lon=("dest_lon", "min"), lat=("dest_lat", "min"), persons=("persons", "sum")
        )
        traces.append(
            {
                "type": "scattermap",
                "mode": "markers",
                "lon": dests["lon"].tolist(),
                "lat": dests["lat"].tolist(),
                "marker": {
                    "size": [6 + 2 * math.log10(max(p, 1)) for p in dests["persons"]],
                    "color": COLOURS["labour"],
                },
                "text": [
                    f"{d}: {p:,} {persons_unit}"
                    for d, p in zip(dests["destination_name"], dests["persons"], strict=True)
                ],
                "hoverinfo": "text",
                "name": t("labour", lang),
                "legendgroup": "labour",
                "meta": "flows",
                "showlegend": False,
            }
        )
    moves = relocations[relocations["origin_code"].isin(list(origins))]
    if not moves.empty:
        starts = [origins[c] for c in moves["origin_code"]]
        ends = list(zip(moves["site_lon"], moves["site_lat"], strict=True))
        hover = [
            f"{names.get(o, o)} → {t('site', lang)} {s}: {p:,} {persons_unit}"
            for o, s, p in zip(
                moves["origin_code"], moves["site_code"], moves["persons"], strict=True
            )
        ]
        traces += _kind_traces(
            "relocation",
            starts,
            ends,
            hover,
            moves["persons"].to_numpy(np.float64),
            t("relocation", lang),
        )
        sites = moves.drop_duplicates("site_code")
        traces.append(
            {
                "type": "scattermap",
                "mode": "markers",
                "lon": sites["site_lon"].round(5).tolist(),
                "lat": sites["site_lat"].round(5).tolist(),
                "marker": {"size": 7, "color": COLOURS["relocation"]},
                "text": [f"{t('site', lang)} {s}" for s in sites["site_code"]],
                "hoverinfo": "text",
                "name": t("site", lang),
                "legendgroup": "relocation",
                "meta": "flows",
                "showlegend": False,
            }
        )
    return traces
