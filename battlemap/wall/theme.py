"""The dark command-centre look of the figures the views build (fonts scaled to the screen).

Views build figures for the desktop page (light, 10–14 px text). On a wall the same figure
gets a dark background, light text and fonts scaled to the screen height so no text is
smaller than about 1/60 of it (18 px at 1080 p, 36 px at 2160 p). Only presentation
changes here: data, values and colours of the data stay exactly as the view made them.
"""

from __future__ import annotations

import copy
from typing import Any

from battlemap.layers.choropleth import COLORBAR_Y
from battlemap.layers.mapfigure import CREDIT_SHIFT

__all__ = ["MIN_TEXT_SHARE", "dark_chart", "dark_map", "font_px", "map_insets"]

Figure = dict[str, Any]
MIN_TEXT_SHARE = 1 / 60  # the smallest text: this share of the screen height
TEXT = "#e6edf7"
MUTED = "#9fb3c8"
GRID = "rgba(159,179,200,0.18)"
PANEL = "rgba(0,0,0,0)"
MAP_BACKGROUND = "#0b1a2b"
_LEGEND_BG = "rgba(8,20,36,0.8)"
LEGEND_Y = 0.9  # the map legend's top (paper share): below the attribution line at the top
_BAR_PAD = 10  # px: plotly's colour bar padding (xpad, ypad)


def font_px(height: int | float | None, share: float = 1 / 48) -> int:
    """A font size in px for a screen ``height`` px tall: ``share`` of it, never below
    the 1/60 floor (the smallest text allowed on the wall)."""
    h = float(height or 1080)
    return max(round(h * share), int(h * MIN_TEXT_SHARE) + 1)


def _map_size(height: int | float | None) -> int:
    """The map's text size (names, legend, colour bar) on a screen ``height`` px tall."""
    return font_px(height, 1 / 50)


def map_insets(height: int | float | None, map_height: int | float) -> dict[str, int]:
    """px at the ``top`` and ``bottom`` of the wall's map (``map_height`` px tall) that the
    map's fit keeps free of the region: the credit line over it, the colour bar under it
    (they covered the province's northern and southern edges). From the sizes
    :func:`dark_map` gives them, a little generous (a plotly text line is ≤ 1.8 × its size).
    """
    size = _map_size(height)
    line = 1.8 * size
    credit = CREDIT_SHIFT + line
    # the colour bar's box: two pads, the bar, its title and tick lines; above the map's
    # bottom by its y (a share of the map)
    bar = 2 * _BAR_PAD + _bar_thickness(size) + 2 * line + COLORBAR_Y * map_height
    gap = size / 2
    return {"top": round(credit + gap), "bottom": round(bar + gap)}


def _bar_thickness(size: int) -> int:
    return max(int(size * 0.9), 10)


def _font(font: dict[str, Any] | None, size: int, colour: str | None = TEXT) -> dict[str, Any]:
    out = dict(font or {})
    out["size"] = max(size, int(out.get("size") or 0))
    if colour:
        out["color"] = colour
    return out


def _axis(axis: dict[str, Any] | None, size: int) -> dict[str, Any]:
    out = dict(axis or {})
    out["tickfont"] = _font(out.get("tickfont"), size, MUTED)
    title = out.get("title")
    if isinstance(title, dict):
        out["title"] = {**title, "font": _font(title.get("font"), size, MUTED)}
    elif isinstance(title, str):
        out["title"] = {"text": title, "font": _font(None, size, MUTED)}
    out["gridcolor"] = GRID
    out["zerolinecolor"] = GRID
    out["linecolor"] = GRID
    return out


def _colorbar(axis: dict[str, Any], size: int) -> dict[str, Any]:
    bar = dict(axis.get("colorbar") or {})
    bar["tickfont"] = _font(bar.get("tickfont"), size, TEXT)
    title = bar.get("title")
    if isinstance(title, dict):
        bar["title"] = {**title, "font": _font(title.get("font"), size, TEXT)}
    bar["bgcolor"] = _LEGEND_BG
    bar["outlinewidth"] = 0
    bar["thickness"] = max(_bar_thickness(size), int(bar.get("thickness") or 0))
    # ticks from the scale's minimum: plotly hides a horizontal bar's end label that
    # reaches past its box (the box spans ``xpad`` px beyond the bar), so the box reaches
    # a 3-digit label's half width past the ends ("0" was hidden at 4K's 43 px text)
    bar["tick0"] = axis.get("cmin", 0)
    if bar.get("orientation") == "h":
        bar["xpad"] = max(int(bar.get("xpad") or _BAR_PAD), size)
    return {**axis, "colorbar": bar}


def _layout_common(layout: dict[str, Any], size: int) -> None:
    layout["font"] = _font(layout.get("font"), size, TEXT)
    layout["paper_bgcolor"] = PANEL
    layout["plot_bgcolor"] = PANEL
    if "legend" in layout or layout.get("showlegend"):
        legend = dict(layout.get("legend") or {})
        legend["font"] = _font(legend.get("font"), size, TEXT)
        legend["bgcolor"] = _LEGEND_BG
        layout["legend"] = legend
    for key in list(layout):
        if key.startswith(("xaxis", "yaxis")):
            layout[key] = _axis(layout[key], size)
        elif key.startswith("coloraxis") and isinstance(layout[key], dict):
            layout[key] = _colorbar(layout[key], size)
        elif key == "polar" and isinstance(layout[key], dict):
            polar = dict(layout[key])
            polar["bgcolor"] = PANEL
            for sub in ("radialaxis", "angularaxis"):
                polar[sub] = _axis(polar.get(sub), size)
            layout[key] = polar
    annotations = []
    for note in layout.get("annotations") or []:
        annotations.append(
            {**note, "font": _font(note.get("font"), size, MUTED), "bgcolor": "rgba(0,0,0,0)"}
        )
    if annotations:
        layout["annotations"] = annotations
    if isinstance(layout.get("title"), dict):
        title = layout["title"]
        layout["title"] = {**title, "font": _font(title.get("font"), size, TEXT)}
    hover = dict(layout.get("hoverlabel") or {})
    hover["font"] = _font(hover.get("font"), size, None)
    layout["hoverlabel"] = hover


def _traces(data: list[dict[str, Any]], size: int) -> list[dict[str, Any]]:
    out = []
    for trace in data:
        trace = dict(trace)
        if "textfont" in trace or trace.get("mode", "").find("text") >= 0:
            colour = (trace.get("textfont") or {}).get("color")
            trace["textfont"] = _font(trace.get("textfont"), size, None if colour else TEXT)
        if trace.get("type") in ("bar",) and "textfont" not in trace:
            trace["textfont"] = _font(None, size, TEXT)
        out.append(trace)
    return out


def dark_chart(
    figure: Figure, height: int | float | None, *, box_height: int | None = None
) -> Figure:
    """A panel chart on the dark wall: light text at the wall's sizes, transparent
    background; ``box_height`` px replaces the view's fixed height (the panel's size)."""
    size = font_px(height, 1 / 57)
    layout = dict(figure.get("layout") or {})  # nested parts are replaced, never changed
    fig = {**figure, "layout": layout}
    _layout_common(layout, size)
    layout.pop("height", None)
    layout.pop("width", None)
    layout["autosize"] = True
    layout["uniformtext"] = {"minsize": size, "mode": "hide"}  # no bar text below the floor
    margin = dict(layout.get("margin") or {})
    margin.update(
        {
            "l": max(margin.get("l", 0), size * 2),
            "r": max(margin.get("r", 0), size),
            "t": max(margin.get("t", 0), size),
            "b": max(margin.get("b", 0), size * 2),
        }
    )
    layout["margin"] = margin
    fig["data"] = _traces(fig.get("data") or [], size)
    return fig


def dark_map(figure: Figure, height: int | float | None) -> Figure:
    """The map on the dark wall: a dark background, names and legends at the wall's size
    (label colours stay as the view chose them against the fills)."""
    size = _map_size(height)
    layout = dict(figure.get("layout") or {})  # nested parts are replaced, never changed
    fig = {**figure, "layout": layout}
    _layout_common(layout, size)
    top_note = any(n.get("y") == 1 for n in layout.get("annotations") or [])
    if isinstance(layout.get("legend"), dict) and top_note:
        # the legend (top left) under the attribution line (top right): a long legend
        # entry at the wall's size (English at 4K) reached under the attribution's text
        layout["legend"] = {**layout["legend"], "y": LEGEND_Y, "yanchor": "top"}
    if isinstance(layout.get("legend"), dict):  # the lines' swatches as long as the text is big
        layout["legend"] = {**layout["legend"], "itemwidth": max(30, round(size * 2.5))}
    style = layout.get("map", {}).get("style")
    if isinstance(style, dict):
        style = copy.deepcopy(style)
        for layer in style.get("layers", []):
            if layer.get("type") == "background":
                layer.setdefault("paint", {})["background-color"] = MAP_BACKGROUND
        layout["map"] = {**layout["map"], "style": style}
    data = []
    for trace in fig.get("data") or []:
        trace = dict(trace)
        if trace.get("meta") in ("labels", "labels-light") or "textfont" in trace:
            trace["textfont"] = {**(trace.get("textfont") or {}), "size": size}
        if trace.get("meta") == "flows":  # no hover on a wall: the arcs' texts stay home
            trace.pop("text", None)
            trace.pop("hovertext", None)
            trace.pop("hovertemplate", None)
            trace["hoverinfo"] = "skip"
        data.append(trace)
    fig["data"] = data
    return fig
