"""Shared pieces of every figure: offline map style, fonts, colours, view from bounds.

Builders return plain plotly figure dicts (``{"data": [...], "layout": {...}}``): Dash sends
them as they are, and building a dict costs microseconds where ``go.Figure`` validation costs
milliseconds per drill click. Tests validate every builder's output with ``go.Figure``.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import plotly.colors

__all__ = [
    "BUBBLE_COLOUR",
    "CAUSE_COLOURS",
    "FONT_FAMILY",
    "OTHER_CAUSES_COLOUR",
    "POINTS_FILL_OPACITY",
    "STATUS_COLOURS",
    "Figure",
    "chart_layout",
    "colorscale",
    "count_axis",
    "count_label",
    "graph_config",
    "map_style",
    "map_view",
    "message_figure",
]

Figure = dict[str, Any]

# System CJK fonts first (Debian fonts-noto-cjk, macOS, Windows), never a web font.
FONT_FAMILY = (
    '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", '
    '"Microsoft YaHei", "WenQuanYi Micro Hei", "DejaVu Sans", sans-serif'
)
BACKGROUND = "#eef2f5"
# Household points (Okabe–Ito: told apart with any colour vision). They sit on a choropleth
# faded to POINTS_FILL_OPACITY, and each stays clear of every indicator's scale there
# (tests/layers/test_point_colours.py): poor in vermillion, returned to poverty in black,
# exited in blue (drawn first, under the others).
STATUS_COLOURS: dict[str, str] = {"未脱贫": "#D55E00", "返贫": "#000000", "已脱贫": "#0072B2"}
# Causes: the seven most frequent in view get their own colour, the rest share grey.
CAUSE_COLOURS: tuple[str, ...] = (
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
)
OTHER_CAUSES_COLOUR = "#8c8c8c"
BUBBLE_COLOUR = "#000000"  # per-unit bubbles: dark discs, see-through, on any fill
POINTS_FILL_OPACITY = 0.45  # choropleth opacity under household points
# Mode bar buttons that send a chart off the machine (plotly.js 4 shows "Share chart…",
# an upload to Plotly Cloud, by default) or link to an outside editor.
_OUTSIDE_BUTTONS = ("sendChartToCloud", "sendDataToCloud", "editInChartStudio")


def graph_config(*, remove: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
    """A ``dcc.Graph`` config that offers nothing sending data elsewhere: no cloud upload,
    no Chart Studio link, no plotly logo link; ``remove`` drops more mode bar buttons.

    >>> config = graph_config(remove=("lasso2d",))
    >>> config["showSendToCloud"], config["modeBarButtonsToRemove"][:2]
    (False, ['lasso2d', 'sendChartToCloud'])
    """
    config: dict[str, Any] = {
        "displaylogo": False,
        "showSendToCloud": False,
        "showEditInChartStudio": False,
        "showLink": False,
        "sendData": False,
        "plotlyServerURL": "",
        "modeBarButtonsToRemove": [*remove, *_OUTSIDE_BUTTONS],
    }
    config.update(extra)
    return config


# MapLibre tiles are 512 px: at zoom z the world is 512 * 2**z px wide.
_TILE = 512.0


@lru_cache(maxsize=32)
def _colorscale(name: str) -> tuple[tuple[float, str], ...]:
    stops = plotly.colors.get_colorscale(name)[1:]  # the first stop is near-white: drop it
    first, last = stops[0][0], stops[-1][0]
    return tuple((round((p - first) / (last - first), 4), c) for p, c in stops)


def colorscale(name: str) -> list[list[Any]]:
    """A named sequential scale as explicit stops (plotly.js knows only a few names).

    >>> colorscale("Reds")[0][0], colorscale("Reds")[-1][0]
    (0.0, 1.0)
    """
    return [[p, c] for p, c in _colorscale(name)]


def map_style(glyphs_url: str | None = None) -> dict[str, Any]:
    """A MapLibre style with only a background layer: draws with no network at all.

    ``glyphs_url`` (the app's own ``/glyphs/{fontstack}/{range}.pbf``) lets text layers
    load; Chinese names render from the local CJK font, so the glyph files may be empty.
    """
    style: dict[str, Any] = {
        "version": 8,
        # One empty source: plotly prunes empty objects, and a style without "sources"
        # fails MapLibre's validation when the next figure diffs it.
        "sources": {
            "battlemap-empty": {
                "type": "geojson",
                "data": {"type": "FeatureCollection", "features": []},
            }
        },
        "layers": [
            {"id": "background", "type": "background", "paint": {"background-color": BACKGROUND}}
        ],
        # no 300 ms paint transitions: each is a train of full redraws (~60 ms apiece in
        # software WebGL) before a drilled map settles
        "transition": {"duration": 0, "delay": 0},
    }
    if glyphs_url:
        style["glyphs"] = glyphs_url
    return style


def _mercator_y(lat: float) -> float:
    lat = max(min(lat, 85.0), -85.0)
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def map_view(
    bounds: tuple[float, float, float, float],
    *,
    width: float = 640,
    height: float = 520,
    padding: float = 0.06,
    max_zoom: float = 14.0,
    top: float = 0.0,
    bottom: float = 0.0,
) -> dict[str, Any]:
    """Centre and zoom that fit ``(minx, miny, maxx, maxy)`` into a ``width`` × ``height`` map.

    ``top`` and ``bottom`` px of the map are kept free of the region (a credit line, a
    colour bar drawn over the map there): the region fits the band between them.

    >>> map_view((106.0, 26.0, 106.0, 26.0))["zoom"]
    14.0
    >>> map_view((106.0, 26.0, 107.0, 27.0), bottom=100)["center"]["lat"] < 26.5
    True
    """
    minx, miny, maxx, maxy = bounds
    width, height = max(width, 100.0), max(height, 100.0)
    band = max(height - top - bottom, 100.0)
    y0, y1 = _mercator_y(miny), _mercator_y(maxy)
    span_x = max(maxx - minx, 1e-9) * (1 + 2 * padding)
    span_y = max(y1 - y0, 1e-9) * (1 + 2 * padding)
    zoom_x = math.log2(width * 360.0 / (_TILE * span_x))
    zoom_y = math.log2(band * 2 * math.pi / (_TILE * span_y))
    zoom = round(min(zoom_x, zoom_y, max_zoom), 2)
    # the band's middle is (top - bottom) / 2 px below the map's, so the map's centre is
    # that far north of the region's (px → mercator: the world's 2π is 512 · 2^zoom px)
    centre_y = (y0 + y1) / 2 + (top - bottom) / 2 * 2 * math.pi / (_TILE * 2**zoom)
    lat = math.degrees(2 * math.atan(math.exp(centre_y)) - math.pi / 2)
    return {
        "center": {"lon": round((minx + maxx) / 2, 5), "lat": round(lat, 5)},
        "zoom": zoom,
    }


def _nice_step(top: float, ticks: int) -> int:
    """The smallest whole 1/2/5 × 10^k step giving at most ``ticks`` steps up to ``top``."""
    raw = max(top / ticks, 1.0)
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return int(factor * power)
    return int(10 * power)  # pragma: no cover - the loop always returns


def count_label(value: int, lang: str = "zh", *, step: int = 10000) -> str:
    """A count as an axis label: ``15万`` / ``2.5万`` in Chinese from 10,000, ``12,000`` in
    English; never an SI suffix (``500m`` persons) or a fraction. ``step`` (the axis's tick
    step) sets how many decimals of 万 tell the ticks apart.

    >>> count_label(150000), count_label(25000, step=5000), count_label(800)
    ('15万', '2.5万', '800')
    >>> count_label(150000, "en")
    '150,000'
    """
    if lang != "en" and value >= 10000:
        return _wan(value, step)
    return f"{value:,d}"


def _wan(value: int, step: int) -> str:
    if not value:
        return "0"
    digits = 0 if step % 10000 == 0 else 1 if step % 1000 == 0 else 2
    return f"{value / 10000:.{digits}f}万"


def count_axis(top: float | int | None, lang: str = "zh", *, ticks: int = 4) -> dict[str, Any]:
    """Axis settings for counts (persons, households): 0 … a whole top, whole-number ticks
    labelled by :func:`count_label`, never below zero (an all-zero series included).

    >>> count_axis(0)["tickvals"], count_axis(7)["tickvals"], count_axis(151798)["ticktext"][-1]
    ([0, 1], [0, 2, 4, 6, 8], '20万')
    """
    top = max(float(top or 0), 1.0)
    step = _nice_step(top, ticks)
    last = step * math.ceil(top / step)
    values = list(range(0, last + 1, step))
    return {
        "range": [0, last * 1.04],
        "autorange": False,
        "tickmode": "array",
        "tickvals": values,
        "ticktext": [
            _wan(v, step) if lang != "en" and last >= 10000 else f"{v:,d}" for v in values
        ],
    }


def chart_layout(**extra: Any) -> dict[str, Any]:
    """Compact layout for the side-panel charts (CJK font, small margins, no mode bar clutter)."""
    layout: dict[str, Any] = {
        "font": {"family": FONT_FAMILY, "size": 12},
        "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "showlegend": False,
    }
    layout.update(extra)
    return layout


def message_figure(text: str) -> Figure:
    """An empty chart showing one centred message (empty region, no data, errors)."""
    return {
        "data": [],
        "layout": chart_layout(
            height=120,
            xaxis={"visible": False},
            yaxis={"visible": False},
            annotations=[
                {
                    "text": text,
                    "showarrow": False,
                    "xref": "paper",
                    "yref": "paper",
                    "x": 0.5,
                    "y": 0.5,
                    "font": {"size": 14, "color": "#666"},
                }
            ],
        ),
    }
