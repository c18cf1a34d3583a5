"""``html-deck``: a deck.gl (pydeck) page of the view in 3D, offline.

Columns stand on each child region's label point, as tall as its poor persons and coloured
by the view's indicator (the page's values and colour range, from :mod:`battlemap.views`);
with ``options["cells"]`` or the view's hexbin layer the columns are H3 cells of poor
persons instead (the hexbin layer's cells, small ones suppressed for roles without
household rights). Arcs show
relocation (origin → resettlement site) and labour flows (county → city, each origin's
largest destinations, as on the page's map). The children's boundaries are a GeoJsonLayer:
no basemap, no tile server. The stamp sits in the page.
"""

from __future__ import annotations

import html
import json
import math
from html import escape as esc
from typing import Any

import pydeck

from battlemap.exports.html_common import PAGE_CSS, fill_colour, stamp_html, stamp_meta
from battlemap.exports.offline import deck_html
from battlemap.exports.registry import FormatInfo, register_format
from battlemap.exports.request import ExportRequest, ExportResult
from battlemap.exports.stamp import file_name, make_stamp
from battlemap.geodata.access import ScopedStore
from battlemap.layers.catalog import INDICATORS, format_value
from battlemap.layers.flows import TOP_DESTINATIONS
from battlemap.views.mapview import unit_values
from battlemap.views.values import shown_values
from battlemap.viewstate import ViewState

__all__ = ["deck_of", "render_deck"]

# the page's flow colours (layers/flows.py); labour thinner and fainter, as there
_RELOCATION = [31, 78, 156, 230]
_LABOUR = [255, 127, 14, 150]
_TEXT: dict[str, tuple[str, str]] = {
    "poor": ("贫困人口", "Poor persons"),
    "relocation": ("易地扶贫搬迁", "Relocation"),
    "labour": ("务工转移", "Labour flows"),
    "site": ("安置点", "site"),
    "persons": ("人", "persons"),
    "legend": ("柱高：贫困人口；柱色：{label}", "Column height: poor persons; colour: {label}"),
    "legend_relocation": ("蓝色弧线：易地扶贫搬迁", "blue arcs: relocation"),
    "legend_labour": (
        "橙色弧线：务工转移（每地前 {n} 个去向）",
        "orange arcs: labour flows (each origin's top {n} destinations)",
    ),
    "legend_no_flows": ("本年无搬迁或务工流向", "no relocation or labour flows this year"),
    "cells_legend": (
        "柱：H3 网格内贫困人口",
        "Columns: poor persons per H3 cell",
    ),
}


def _text(key: str, lang: str) -> str:
    return _TEXT[key][1 if lang == "en" else 0]


def _rgb(colour: str, alpha: int = 230) -> list[int]:
    """``rgb(1, 2, 3)`` / ``#010203`` → ``[1, 2, 3, alpha]``."""
    if colour.startswith("#"):
        return [int(colour[i : i + 2], 16) for i in (1, 3, 5)] + [alpha]
    parts = colour[colour.index("(") + 1 : colour.index(")")].split(",")
    return [round(float(p)) for p in parts[:3]] + [alpha]


def _extent_m(bounds: tuple[float, float, float, float]) -> float:
    """The larger side of the bounds in metres (columns and heights scale with it)."""
    minx, miny, maxx, maxy = bounds
    lat = math.radians((miny + maxy) / 2)
    return max((maxx - minx) * 111_320 * math.cos(lat), (maxy - miny) * 110_540, 1.0)


def _zoom(bounds: tuple[float, float, float, float], width: int = 1000) -> float:
    """A zoom that fits the bounds' longer side in about ``width`` pixels."""
    minx, miny, maxx, maxy = bounds
    span = max(maxx - minx, (maxy - miny) * 1.3, 1e-3)
    return max(min(math.log2(360 * width / (256 * span)) - 1.4, 14.0), 3.0)


def _flows(
    access: ScopedStore, code: str, year: int, origins: dict[str, tuple[float, float]],
    names: dict[str, str], lang: str,
) -> list[dict[str, Any]]:  # fmt: skip
    """Arc rows (source, target, width, colour, tooltip) of both flow kinds."""
    persons_unit = _text("persons", lang)
    rows: list[dict[str, Any]] = []
    labour = access.labour_flows(code, year)
    labour = labour[labour["origin_code"].isin(list(origins))]
    if not labour.empty:
        labour = (
            labour.sort_values(["origin_code", "persons"], ascending=[True, False], kind="stable")
            .groupby("origin_code", sort=False)
            .head(TOP_DESTINATIONS)
        )
    moves = access.relocation_flows(code, year)
    moves = moves[moves["origin_code"].isin(list(origins))]
    top = max(
        float(labour["persons"].max()) if not labour.empty else 0.0,
        float(moves["persons"].max()) if not moves.empty else 0.0,
        1.0,
    )

    def width(persons: float) -> float:
        return round(1.0 + 7.0 * math.sqrt(persons / top), 2)

    for o, d, lon, lat, p in labour[
        ["origin_code", "destination_name", "dest_lon", "dest_lat", "persons"]
    ].itertuples(index=False):
        rows.append(
            {
                "source": list(origins[o]),
                "target": [round(float(lon), 5), round(float(lat), 5)],
                "width": round(0.6 * width(p), 2),
                "colour": _LABOUR,
                "tip": f"{_text('labour', lang)}：{esc(names.get(o, o))} → {esc(d)}: {int(p):,} "
                f"{persons_unit}",
            }
        )
    for o, s, lon, lat, p in moves[
        ["origin_code", "site_code", "site_lon", "site_lat", "persons"]
    ].itertuples(index=False):
        rows.append(
            {
                "source": list(origins[o]),
                "target": [round(float(lon), 5), round(float(lat), 5)],
                "width": width(p),
                "colour": _RELOCATION,
                "tip": f"{_text('relocation', lang)}：{esc(names.get(o, o))} → "
                f"{_text('site', lang)} {esc(str(s))}: {int(p):,} {persons_unit}",
            }
        )
    return rows


def _columns(
    access: ScopedStore, state: ViewState, code: str, cells: bool
) -> tuple[pydeck.Layer, float]:
    """The column layer (child regions or H3 cells) and the tallest value."""
    lang = state.lang
    shapes = access.unit_shapes(code)
    extent = _extent_m(shapes.bounds)
    poor_label = _text("poor", lang)
    persons_unit = _text("persons", lang)
    if cells:
        frame = access.hexbins(code, state.year)
        top = float(frame["poor_persons"].max()) if not frame.empty else 1.0
        data = [
            {"hex": c, "v": int(p), "tip": f"{poor_label}: {int(p):,} {persons_unit}"}
            for c, p in zip(frame["cell"], frame["poor_persons"], strict=True)
        ]
        layer = pydeck.Layer(
            "H3HexagonLayer",
            data,
            id="columns",
            get_hexagon="hex",
            extruded=True,
            get_elevation="v",
            elevation_scale=0.25 * extent / max(top, 1.0),
            get_fill_color=[213, 94, 0, 220],
            pickable=True,
        )
        return layer, top
    shown = shown_values(access, state)
    axis = shown.coloraxis(lang)
    poor_ind = INDICATORS["poor_persons"]
    poor = unit_values(access, code, state.year, poor_ind)
    top = max((float(v) for v in poor.values() if v is not None), default=1.0)
    data = []
    for unit, name, lon, lat in zip(
        shapes.codes, shapes.names, shapes.label_lon, shapes.label_lat, strict=True
    ):
        value = shown.values.get(unit)
        persons = poor.get(unit)
        data.append(
            {
                "pos": [lon, lat],
                "v": int(persons or 0),
                "colour": _rgb(fill_colour(value, axis)),
                "tip": f"{esc(name)}<br>{poor_label}: {format_value(persons, poor_ind, lang)}<br>"
                f"{shown.indicator.name(lang)}: {format_value(value, shown.indicator, lang)}",
            }
        )
    radius = max(extent / (16 * math.sqrt(max(len(data), 1))), 100.0)
    layer = pydeck.Layer(
        "ColumnLayer",
        data,
        id="columns",
        get_position="pos",
        get_elevation="v",
        elevation_scale=0.25 * extent / max(top, 1.0),
        radius=radius,
        disk_resolution=24,
        extruded=True,
        get_fill_color="colour",
        get_line_color=[60, 60, 60],
        pickable=True,
    )
    return layer, top


def _cells(request: ExportRequest) -> bool:
    """Columns on H3 cells: ``options["cells"]``, else when the view shows the hexbin layer
    (``battlemap export --layers hexbins …``)."""
    if "cells" in request.options:
        return bool(request.options["cells"])
    return "hexbins" in request.state.layers


def deck_of(request: ExportRequest) -> pydeck.Deck:
    """The pydeck Deck of the request's view (scope and export right checked first)."""
    access, state = request.access, request.state
    info = access.check_export(state.region)
    cells = _cells(request)
    lang = state.lang
    shapes = access.unit_shapes(info.code)
    boundaries = json.loads(shapes.geojson)
    for feature in boundaries["features"]:
        # the tooltip is HTML: only the escaped name goes into the page
        feature["properties"] = {"tip": esc(feature["properties"]["name"])}
    columns, _top = _columns(access, state, info.code, cells)
    names = dict(zip(shapes.codes, shapes.names, strict=True))
    arcs = _flows(access, info.code, state.year, shapes.labels, names, lang)
    layers = [
        pydeck.Layer(
            "GeoJsonLayer",
            boundaries,
            id="boundaries",
            stroked=True,
            filled=True,
            get_fill_color=[236, 240, 243, 255],
            get_line_color=[84, 110, 122, 255],
            line_width_min_pixels=1,
            pickable=False,
        ),
        columns,
    ]
    if arcs:
        layers.append(
            pydeck.Layer(
                "ArcLayer",
                arcs,
                id="flows",
                get_source_position="source",
                get_target_position="target",
                get_source_color="colour",
                get_target_color="colour",
                get_width="width",
                pickable=True,
            )
        )
    minx, miny, maxx, maxy = shapes.bounds
    view = pydeck.ViewState(
        longitude=(minx + maxx) / 2,
        latitude=(miny + maxy) / 2,
        zoom=_zoom(shapes.bounds),
        pitch=45,
        bearing=-12,
    )
    return pydeck.Deck(
        layers=layers,
        initial_view_state=view,
        map_style=None,
        map_provider=None,
        tooltip={"html": "{tip}", "style": {"fontSize": "12px"}},
        height=760,
    )


def render_deck(request: ExportRequest) -> ExportResult:
    """The ``html-deck`` file: one HTML page, deck.gl inlined, no outside reference."""
    access, state = request.access, request.state
    deck = deck_of(request)
    stamp = make_stamp(access, state, request.generated_at)
    shown = shown_values(access, state)
    lang = state.lang
    parts = [
        _text("cells_legend", lang)
        if _cells(request)
        else _text("legend", lang).format(label=shown.indicator.name(lang))
    ]
    flows = next((layer for layer in deck.layers if layer.id == "flows"), None)
    colours = {tuple(row["colour"]) for row in flows.data} if flows is not None else set()
    if tuple(_RELOCATION) in colours:
        parts.append(_text("legend_relocation", lang))
    if tuple(_LABOUR) in colours:
        parts.append(_text("legend_labour", lang).format(n=TOP_DESTINATIONS))
    if not colours:
        parts.append(_text("legend_no_flows", lang))
    legend = ("; " if lang == "en" else "；").join(parts)
    head = (
        f"<title>{html.escape(stamp.title())}</title>{stamp_meta(stamp)}"
        f"<style>{PAGE_CSS} .bm-stamp {{ left: 8px; }} body {{ margin: 0; }}</style>"
    )
    page = deck_html(deck, head=head, body=stamp_html(stamp, legend))
    return ExportResult(
        data=page.encode("utf-8"),
        filename=file_name(stamp.region_code, state.year, state.indicator, "html", panel="deck"),
        media_type="text/html; charset=utf-8",
    )


register_format(
    "html-deck",
    render_deck,
    FormatInfo(extension="html", media_type="text/html; charset=utf-8", panels=("map",)),
)
