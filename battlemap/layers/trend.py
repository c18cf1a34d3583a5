"""Trend lines 2014–2020: incidence (top) and poor persons (bottom), region vs parent."""

from __future__ import annotations

from collections.abc import Mapping

from battlemap.i18n import t
from battlemap.layers.base import Figure, chart_layout, count_axis

__all__ = ["trend_figure"]

REGION_COLOUR, PARENT_COLOUR = "#c0392b", "#7f8c8d"


def trend_figure(
    incidence: Mapping[int, float | None],
    persons: Mapping[int, int],
    *,
    parent_incidence: Mapping[int, float | None] | None = None,
    parent_persons: Mapping[int, int] | None = None,
    region_name: str = "",
    parent_name: str = "",
    year: int | None = None,
    lang: str = "zh",
) -> Figure:
    """Two stacked panels; the parent's persons use a right-hand axis (different scale)."""
    years = sorted(incidence)
    region = region_name or t("region", lang)
    parent = parent_name or t("parent", lang)
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": years,
            "y": [incidence[y] for y in years],
            "name": region,
            "line": {"color": REGION_COLOUR, "width": 2.5},
            "hovertemplate": "%{x}: %{y:.2f}%<extra>" + region + "</extra>",
        },
        {
            "type": "bar",
            "x": years,
            "y": [persons[y] for y in years],
            "name": region,
            "xaxis": "x2",
            "yaxis": "y2",
            "marker": {"color": REGION_COLOUR, "opacity": 0.8},
            "showlegend": False,
            "hovertemplate": "%{x}: %{y:,}<extra>" + region + "</extra>",
        },
    ]
    if parent_incidence is not None:
        data.insert(
            1,
            {
                "type": "scatter",
                "mode": "lines",
                "x": years,
                "y": [parent_incidence.get(y) for y in years],
                "name": parent,
                "line": {"color": PARENT_COLOUR, "width": 2, "dash": "dash"},
                "hovertemplate": "%{x}: %{y:.2f}%<extra>" + parent + "</extra>",
            },
        )
    if parent_persons is not None:
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": years,
                "y": [parent_persons.get(y) for y in years],
                "name": parent,
                "xaxis": "x2",
                "yaxis": "y3",
                "showlegend": False,
                "line": {"color": PARENT_COLOUR, "width": 2, "dash": "dash"},
                "hovertemplate": "%{x}: %{y:,}<extra>" + parent + "</extra>",
            }
        )
    shapes = []
    if year is not None:
        for ref in ("x", "x2"):
            shapes.append(
                {
                    "type": "line",
                    "xref": ref,
                    "x0": year,
                    "x1": year,
                    "yref": "paper",
                    "y0": 0,
                    "y1": 1,
                    "line": {"color": "#34495e", "width": 1, "dash": "dot"},
                }
            )
    axis = {"dtick": 1, "gridcolor": "#eeeeee", "fixedrange": True}
    shares = [v for v in incidence.values() if v is not None]
    shares += [v for v in (parent_incidence or {}).values() if v is not None]
    share_top = max([*shares, 0.0]) * 1.1 or 1.0
    parent_top = max((v or 0 for v in (parent_persons or {}).values()), default=0)
    return {
        "data": data,
        "layout": chart_layout(
            height=330,
            showlegend=True,
            legend={"orientation": "h", "x": 0, "y": 1.12, "font": {"size": 11}},
            margin={"l": 8, "r": 8, "t": 28, "b": 8},
            xaxis={**axis, "domain": [0, 1], "anchor": "y", "showticklabels": False},
            yaxis={
                "domain": [0.56, 1],
                "title": {"text": t("incidence_pct", lang)},
                "range": [0, share_top],  # never below zero, also for an all-zero series
                "autorange": False,
                "automargin": True,
                "gridcolor": "#eeeeee",
                "fixedrange": True,
            },
            xaxis2={**axis, "domain": [0, 1], "anchor": "y2", "matches": "x"},
            yaxis2={
                "domain": [0, 0.46],
                "title": {"text": t("poor_persons", lang)},
                **count_axis(max(persons.values(), default=0), lang),
                "automargin": True,
                "gridcolor": "#eeeeee",
                "fixedrange": True,
            },
            yaxis3={
                "overlaying": "y2",
                "side": "right",
                **count_axis(parent_top, lang),
                "showgrid": False,
                "automargin": True,
                "tickfont": {"color": PARENT_COLOUR},
                "fixedrange": True,
            },
            shapes=shapes,
        ),
    }
