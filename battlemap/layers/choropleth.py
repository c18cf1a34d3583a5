"""Choropleth of a region's units by one indicator, geometry referenced by URL.

Two traces: the units without a value in grey, and the coloured values on the shared
``coloraxis`` (every unit is in exactly one of them). Only their ``locations``, ``z`` and
``customdata`` change with the year or indicator, so a :class:`dash.Patch` can update them
alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from battlemap.layers.base import FONT_FAMILY, colorscale
from battlemap.layers.catalog import Indicator, format_value

__all__ = [
    "COLORBAR_Y",
    "FLAG_LEGEND_META",
    "FLAG_TRACE_META",
    "VALUE_TRACE",
    "choropleth_coloraxis",
    "choropleth_traces",
    "choropleth_values",
    "flagged_legend_trace",
    "flagged_outline_trace",
    "outline_values",
]

COLORBAR_Y = 0.01  # the colour bar's bottom, a share of the map's height
VALUE_TRACE = 1  # index of the value trace in the map figure (after the outline)
_HOVER = "<b>%{customdata[0]}</b><br>%{customdata[1]}<extra></extra>"
FLAG_TRACE_META = "poverty_flag"  # ``meta`` of the flagged-region outline trace
FLAG_LEGEND_META = "poverty_flag_legend"  # ``meta`` of its legend entry
_FLAG_COLOUR = "#1a237e"  # indigo: stands out on the red and the grey
_TRANSPARENT = [[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]]


def choropleth_values(
    codes: Sequence[str],
    names: Sequence[str],
    values: Sequence[float | int | None],
    *,
    indicator: Indicator,
    lang: str = "zh",
) -> dict[str, list[Any]]:
    """``locations``, ``z`` and ``customdata`` of the value trace (missing values left out)."""
    keep = [i for i, v in enumerate(values) if v is not None]
    return {
        "locations": [codes[i] for i in keep],
        "z": [values[i] for i in keep],
        "customdata": [[names[i], format_value(values[i], indicator, lang)] for i in keep],
    }


def outline_values(
    codes: Sequence[str],
    names: Sequence[str],
    values: Sequence[float | int | None] | None,
    *,
    indicator: Indicator,
    lang: str = "zh",
) -> dict[str, list[Any]]:
    """The grey trace: units without a value (all units when values are off).

    Kept to the missing units so the browser processes each boundary once, not twice.
    """
    keep = [i for i in range(len(codes)) if values is None or values[i] is None]
    return {
        "locations": [codes[i] for i in keep],
        "z": [0] * len(keep),
        "customdata": [[names[i], format_value(None, indicator, lang)] for i in keep],
    }


def choropleth_traces(
    geojson: str | dict[str, Any],
    codes: Sequence[str],
    names: Sequence[str],
    values: Sequence[float | int | None],
    *,
    indicator: Indicator,
    lang: str = "zh",
    show_values: bool = True,
) -> list[dict[str, Any]]:
    """Grey trace of the units without a value + the value trace (on ``coloraxis``).

    With ``show_values`` False every unit is grey and the value trace is empty.

    ``geojson`` is a URL (sent once, cached by the browser) or a FeatureCollection whose
    feature ids are the unit codes.
    """
    outline = {
        "type": "choroplethmap",
        "geojson": geojson,
        "featureidkey": "id",
        **outline_values(
            codes, names, values if show_values else None, indicator=indicator, lang=lang
        ),
        "colorscale": [[0, "#d9d9d9"], [1, "#d9d9d9"]],
        "showscale": False,
        "marker": {"line": {"color": "#ffffff", "width": 1.2}, "opacity": 0.9},
        "hovertemplate": _HOVER,
        "name": "outline",
        "meta": "outline",
        "showlegend": False,
    }
    data = choropleth_values(codes, names, values, indicator=indicator, lang=lang)
    if not show_values:
        data = {"locations": [], "z": [], "customdata": []}
    coloured = {
        "type": "choroplethmap",
        "geojson": geojson,
        "featureidkey": "id",
        **data,
        "coloraxis": "coloraxis",
        "marker": {"line": {"color": "#ffffff", "width": 1.2}, "opacity": 0.85},
        "hovertemplate": _HOVER,
        "name": indicator.key,
        "meta": "values",
        "showlegend": False,
    }
    return [outline, coloured]


def flagged_outline_trace(
    geojson: str | dict[str, Any],
    codes: Sequence[str],
    flagged: Sequence[bool],
) -> dict[str, Any]:
    """A thick indigo border around the units flagged 贫困县 / 贫困乡镇 / 贫困村
    (``regions.poverty_flag``), drawn over the colours with a transparent fill.

    It takes no hover or click (``hoverinfo`` skip), so the value trace below still
    answers them; meant to follow the two :func:`choropleth_traces` (after
    :data:`VALUE_TRACE`, so the value trace keeps its index). Its legend entry is
    :func:`flagged_legend_trace` (a choropleth's own swatch would be its transparent fill).
    """
    keep = [c for c, f in zip(codes, flagged, strict=True) if f]
    return {
        "type": "choroplethmap",
        "geojson": geojson,
        "featureidkey": "id",
        "locations": keep,
        "z": [1] * len(keep),
        "colorscale": _TRANSPARENT,
        "showscale": False,
        "marker": {"line": {"color": _FLAG_COLOUR, "width": 2.6}, "opacity": 1},
        "hoverinfo": "skip",
        "name": FLAG_TRACE_META,
        "meta": FLAG_TRACE_META,
        "legendgroup": FLAG_TRACE_META,
        "showlegend": False,
    }


def flagged_legend_trace(name: str, at: tuple[float, float]) -> dict[str, Any]:
    """The legend entry of :func:`flagged_outline_trace`: an indigo line named ``name``
    (贫困县（深蓝边框） …); a click on it shows or hides the border.

    Its one point ``at`` (lon, lat) draws nothing (a line needs two) but gets the trace a
    legend entry, which plotly gives no empty trace.
    """
    return {
        "type": "scattermap",
        "lon": [at[0]],
        "lat": [at[1]],
        "mode": "lines",
        "line": {"color": _FLAG_COLOUR, "width": 2.6},
        "hoverinfo": "skip",
        "name": name,
        "meta": FLAG_LEGEND_META,
        "legendgroup": FLAG_TRACE_META,
        "showlegend": True,
    }


def choropleth_coloraxis(
    indicator: Indicator, zmax: float | None, *, lang: str = "zh"
) -> dict[str, Any]:
    """The shared colour axis: 0 … ``zmax`` (stable over years), legend in real units."""
    top = float(zmax) if zmax and zmax > 0 else 1.0
    return {
        "colorscale": colorscale(indicator.colorscale),
        "cmin": 0,
        "cmax": top,
        "colorbar": {
            "title": {
                "text": indicator.title(lang),
                "side": "top",
                "font": {"family": FONT_FAMILY, "size": 12},
            },
            "orientation": "h",
            "x": 0.01,
            "xanchor": "left",
            "y": COLORBAR_Y,
            "yanchor": "bottom",
            "len": 0.42,
            "thickness": 10,
            "bgcolor": "rgba(255,255,255,0.85)",
            "tickfont": {"size": 11},
        },
    }
