"""Cadre figures (issue 15): the check-in layer (points by visit kind, a line from a far
check-in to its household) and the cadres panel's score bars. Data in, plotly dicts out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from battlemap.geodata.cadre_tables import VISIT_KINDS
from battlemap.layers.base import Figure, chart_layout, message_figure

__all__ = ["KIND_COLOURS", "checkin_traces", "score_bars"]

# colour-blind-safe (Paul Tol's muted scheme) per visit kind, apart from the household
# points' status colours
KIND_COLOURS = dict(
    zip(VISIT_KINDS, ("#882255", "#117733", "#DDCC77", "#AA4499", "#44AA99", "#999999"),
        strict=True)
)  # fmt: skip
FAR_COLOUR = "#000000"  # a far check-in: black ring and a black line to the household
_KIND_EN = {"走访": "Visit", "政策落实": "Policy", "产业帮扶": "Industry", "就业帮扶": "Jobs",
            "就医就学协调": "Health/school", "其他": "Other"}  # fmt: skip
MAX_POINTS = 20_000  # newest first beyond this (a county's year is ~10 k at full size)


def _kind_label(kind: str, lang: str) -> str:
    return _KIND_EN.get(kind, kind) if lang == "en" else kind


def checkin_traces(rows: pd.DataFrame, *, lang: str = "zh") -> list[dict[str, Any]]:
    """``scattermap`` traces: check-ins by kind, far check-ins ringed in vermilion with a
    line to the household's point (未真正入户). ``rows``: :func:`views.cadres.checkin_rows`."""
    if rows.empty:
        return []
    if len(rows) > MAX_POINTS:
        rows = rows.sort_values("day", ascending=False).head(MAX_POINTS)
    traces: list[dict[str, Any]] = []
    far = rows[rows["far"]]
    if len(far):
        lon: list[float | None] = []
        lat: list[float | None] = []
        for a, b, c, d in zip(far["lon"], far["lat"], far["hh_lon"], far["hh_lat"], strict=True):
            lon += [round(float(a), 6), round(float(c), 6), None]
            lat += [round(float(b), 6), round(float(d), 6), None]
        traces.append(
            {
                "type": "scattermap",
                "mode": "lines",
                "lon": lon,
                "lat": lat,
                "line": {"width": 2.5, "color": FAR_COLOUR},
                "hoverinfo": "skip",
                "name": "未真正入户" if lang != "en" else "Far check-in",
                "meta": "checkins-far",
                "showlegend": True,
            }
        )
    metres = "米" if lang != "en" else "m"
    for kind in VISIT_KINDS:
        part = rows[rows["kind"] == kind]
        if part.empty:
            continue
        text = [
            f"{_kind_label(kind, lang)} · {d}<br>{int(m):,} {metres}"
            for d, m in zip(part["date"], part["distance_m"], strict=True)
        ]
        traces.append(
            {
                "type": "scattermap",
                "mode": "markers",
                "lon": np.round(part["lon"].to_numpy(float), 6).tolist(),
                "lat": np.round(part["lat"].to_numpy(float), 6).tolist(),
                "marker": {
                    "size": [11 if f else 6 for f in part["far"]],
                    "color": [FAR_COLOUR if f else KIND_COLOURS[kind] for f in part["far"]],
                    "opacity": 0.85,
                },
                "text": text,
                "hovertemplate": "%{text}<extra></extra>",
                "name": f"{_kind_label(kind, lang)} ({len(part)})",
                "meta": "checkins",
                "legendgroup": "checkins",
                "showlegend": True,
            }
        )
    return traces


def score_bars(names: Sequence[str], scores: Sequence[float], *, lang: str = "zh") -> Figure:
    """Horizontal bars of 记工分 per cadre (the top 15), highest on top."""
    pairs = [(n or "", float(s)) for n, s in zip(names, scores, strict=True)][:15]
    if not pairs:
        return message_figure("无数据" if lang != "en" else "No data")
    pairs.reverse()
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": [f"{i + 1}. {n}" for i, (n, _) in enumerate(reversed(pairs))][::-1],
                "x": [s for _, s in pairs],
                "marker": {"color": ["#c0392b" if s < 0 else "#2e86c1" for _, s in pairs]},
                "hovertemplate": "%{y}: %{x}<extra></extra>",
            }
        ],
        "layout": chart_layout(
            height=max(160, 20 * len(pairs) + 40),
            margin={"l": 8, "r": 16, "t": 4, "b": 24},
            # no negative side unless a score is negative (all zero showed −1 … 1)
            xaxis={
                "title": {"text": "记工分" if lang != "en" else "Score"},
                "automargin": True,
                "rangemode": "normal" if any(s < 0 for _, s in pairs) else "nonnegative",
            },
            yaxis={"automargin": True},
        ),
    }
