"""``html-folium``: the children's choropleth as one offline Leaflet page.

Tooltips hold every indicator of each child region (the numbers of
:func:`battlemap.views.mapview.unit_values`, the page's own), the colours are the view's
(:func:`battlemap.views.values.shown_values`: indicator, cross-filter, change since a year,
the page's colour range), the basemap is the region's own outline (no tile server), and a
layer control switches the choropleth, the poverty-flag border and, where the caller may
see household points, the households clustered. The stamp sits in the page.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any

import folium
import numpy as np
import plotly.colors
import shapely
from branca.element import Element
from folium.plugins import FastMarkerCluster

from battlemap.exports.html_common import NO_VALUE, PAGE_CSS, fill_colour, stamp_html, stamp_meta
from battlemap.exports.offline import folium_html
from battlemap.exports.registry import FormatInfo, register_format
from battlemap.exports.request import ExportRequest, ExportResult
from battlemap.exports.stamp import Stamp, file_name, make_stamp
from battlemap.geodata.access import ScopedStore
from battlemap.geodata.schema import STATUS_EXITED, STATUS_POOR, STATUS_RETURNED
from battlemap.i18n import hh_type_label
from battlemap.layers.base import STATUS_COLOURS
from battlemap.layers.catalog import INDICATORS, format_value
from battlemap.layers.causes import cause_label
from battlemap.layers.households import STATUS_LABELS
from battlemap.views.filtered import filtered_loader
from battlemap.views.indicator_choices import indicator_choices
from battlemap.views.mapview import unit_flags, unit_values
from battlemap.views.values import ShownValues, shown_values
from battlemap.viewstate import ViewState

__all__ = ["HOUSEHOLD_CAP", "FoliumMap", "folium_map", "render_folium"]

# Household points in one file at most (≈ 40 bytes each): a county of the 2.3 M set fits in
# 2 MB with them; above the cap the layer is left out and the page says why.
HOUSEHOLD_CAP = 30_000
_FLAG_COLOUR = "#1a237e"  # the page's indigo poverty-flag border
_TEXT: dict[str, tuple[str, str]] = {
    "outline": ("区域轮廓", "Region outline"),
    "flags": ("贫困地区边界", "Poverty-flagged regions"),
    "households": ("户（聚合）", "Households (clustered)"),
    "households_left_out": (
        "户点未包含：{n:,} 户超过单文件上限 {cap:,} 户，请导出下一级区域",
        "Household points left out: {n:,} households exceed the file's {cap:,}; "
        "export a region one level down",
    ),
    "households_no_right": (
        "户点未包含：当前角色仅可导出汇总数据",
        "Household points left out: your role may export aggregates only",
    ),
    "code": ("区划代码", "Code"),
    "name": ("名称", "Name"),
    "persons": ("人", "persons"),
}


def _text(key: str, lang: str) -> str:
    return _TEXT[key][1 if lang == "en" else 0]


@dataclass(frozen=True)
class FoliumMap:
    """The map and what went into it (for tests and the CLI's summary)."""

    fmap: folium.Map
    stamp: Stamp
    units: int
    households: int  # household points drawn (0: none, or left out)
    note: str


def _legend_html(shown: ShownValues, axis: dict[str, Any], lang: str) -> str:
    stops = ", ".join(
        f"{plotly.colors.sample_colorscale([[float(p), c] for p, c in axis['colorscale']], [p])[0]}"
        f" {p * 100:.0f}%"
        for p in np.linspace(0, 1, 11)
    )
    low = format_value(axis["cmin"], shown.indicator, lang)
    high = format_value(axis["cmax"], shown.indicator, lang)
    return (
        '<div class="bm-legend"><div class="bm-legend-title">'
        f"{html.escape(shown.indicator.title(lang))}</div>"
        f'<div class="bm-legend-bar" style="background:linear-gradient(to right, {stops})">'
        f'</div><div class="bm-legend-ticks"><span>{html.escape(low)}</span>'
        f"<span>{html.escape(high)}</span></div>"
        f'<div class="bm-legend-none"><i style="background:{NO_VALUE}"></i>'
        f"{html.escape(format_value(None, shown.indicator, lang))}</div></div>"
    )


# -- layers --------------------------------------------------------------------------------
def _indicator_keys(access: ScopedStore) -> list[str]:
    return indicator_choices(access)  # what the page's selector offers


def _unit_features(access: ScopedStore, state: ViewState, shown: ShownValues) -> dict[str, Any]:
    """The children's GeoJSON with a fill colour, the shown value and every indicator."""
    code = access.region(state.region).code
    shapes = access.unit_shapes(code)
    collection = json.loads(shapes.geojson)
    axis = shown.coloraxis(state.lang)
    every = {
        key: unit_values(access, code, state.year, INDICATORS[key])
        for key in _indicator_keys(access)
    }
    for feature in collection["features"]:
        unit = feature["id"]
        value = shown.values.get(unit)
        props = feature["properties"]
        props["code"] = unit
        # tooltips are HTML: a name (from an imported boundary file) is text, never markup
        props["name"] = html.escape(str(props.get("name") or ""))
        props["fill"] = fill_colour(value, axis)
        props["shown"] = format_value(value, shown.indicator, state.lang)
        for key, values in every.items():
            props[key] = format_value(values.get(unit), INDICATORS[key], state.lang)
    return collection


def _outline(collection: dict[str, Any]) -> dict[str, Any]:
    """The region's own outline: the union of its children (no parent read, so a scope
    rooted at the region draws it too)."""
    geoms = shapely.from_geojson([json.dumps(f["geometry"]) for f in collection["features"]])
    try:
        merged = shapely.coverage_union_all(geoms)
    except shapely.errors.GEOSException:
        merged = shapely.union_all(geoms)
    return {"type": "Feature", "properties": {}, "geometry": json.loads(shapely.to_geojson(merged))}


def _household_layer(
    access: ScopedStore, state: ViewState, request: ExportRequest
) -> tuple[FastMarkerCluster | None, int, str]:
    """Clustered household points (masked names) when the view has the household layer,
    or None and why not."""
    lang = state.lang
    if "households" not in state.layers:
        return None, 0, ""
    if not access.scope.households:
        return None, 0, _text("households_no_right", lang)
    registered = int(access.counts(state.region, state.year)["registered_households"])
    if registered > HOUSEHOLD_CAP:
        return None, 0, _text("households_left_out", lang).format(n=registered, cap=HOUSEHOLD_CAP)
    access.check_export(state.region, households=True)
    loader = filtered_loader(request.households or access.households, state)
    frame = loader(access.region(state.region).code, state.year)
    if frame.empty:
        return None, 0, ""
    statuses = [STATUS_POOR, STATUS_RETURNED, STATUS_EXITED]
    causes = sorted(set(frame["primary_cause"].astype(str)))
    types = sorted(set(frame["hh_type"].astype(str)))
    status_index = {s: i for i, s in enumerate(statuses)}
    cause_index = {c: i for i, c in enumerate(causes)}
    type_index = {h: i for i, h in enumerate(types)}
    # poor households last, so they are drawn on top inside a cluster's spiderfied view
    order = np.argsort([-status_index.get(s, 0) for s in frame["status"]], kind="stable")
    rows = [
        [
            round(float(lat), 5),
            round(float(lon), 5),
            status_index.get(status, 0),
            cause_index[str(cause)],
            type_index[str(hh_type)],
            int(size),
            html.escape(str(name or "")),  # the tooltip is HTML; a name is text
        ]
        for lat, lon, status, cause, hh_type, size, name in zip(
            *(
                frame[c].to_numpy()[order]
                for c in ("lat", "lon", "status", "primary_cause", "hh_type", "size", "head_name")
            ),
            strict=True,
        )
    ]
    i = 1 if lang == "en" else 0
    lookups = {
        "colour": [STATUS_COLOURS[s] for s in statuses],
        "status": [STATUS_LABELS[s][i] for s in statuses],
        "cause": [html.escape(cause_label(c, lang)) for c in causes],
        "type": [html.escape(hh_type_label(h, lang)) for h in types],
        "persons": _text("persons", lang),
    }
    # one marker per row: a small circle, its tooltip built on hover from the lookups
    callback = (  # an expression: FastMarkerCluster writes `var callback = <this>;`
        "(function () {\n"
        "  var L_BM = " + json.dumps(lookups, ensure_ascii=False) + ";\n"
        "  return function (row) {\n"
        "    var m = L.circleMarker([row[0], row[1]], {radius: 4, weight: 1,"
        " color: '#ffffff', fillColor: L_BM.colour[row[2]], fillOpacity: 0.9});\n"
        "    m.bindTooltip(function () { return (row[6] ? row[6] + ' · ' : '') + row[5] + ' '"
        " + L_BM.persons + ' · ' + L_BM.type[row[4]] + ' · ' + L_BM.cause[row[3]] + ' · '"
        " + L_BM.status[row[2]]; });\n"
        "    return m;\n"
        "  };\n"
        "})()"
    )
    layer = FastMarkerCluster(
        rows,
        callback=callback,
        name=_text("households", lang),
        show=True,
        options={"chunkedLoading": True, "disableClusteringAtZoom": 16},
    )
    return layer, len(rows), ""


def folium_map(request: ExportRequest) -> FoliumMap:
    """Build the folium map of the request's view (scope and export right checked)."""
    access, state = request.access, request.state
    info = access.check_export(state.region)  # scope and the export right, before any read
    lang = state.lang
    stamp = make_stamp(access, state, request.generated_at)
    shown = shown_values(access, state)
    collection = _unit_features(access, state, shown)
    axis = shown.coloraxis(lang)
    keys = _indicator_keys(access)
    minx, miny, maxx, maxy = access.unit_shapes(info.code).bounds
    fmap = folium.Map(
        tiles=None,
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=8,
        prefer_canvas=True,
        control_scale=True,
        attributionControl=False,
    )
    fmap.options["max_zoom"] = 18  # no tile layer sets it; marker clustering needs one
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    folium.GeoJson(
        _outline(collection),
        name=_text("outline", lang),
        style_function=lambda _f: {
            "color": "#37474f",
            "weight": 2.5,
            "fill": True,
            "fillColor": "#ffffff",
            "fillOpacity": 1.0,
        },
        interactive=False,
        control=True,
    ).add_to(fmap)
    fields = ["name", "code", *keys]
    aliases = [
        _text("name", lang),
        _text("code", lang),
        *[INDICATORS[k].name(lang) for k in keys],
    ]
    if state.compare is not None or state.filter:
        fields.insert(2, "shown")
        aliases.insert(2, shown.indicator.name(lang))
    folium.GeoJson(
        collection,
        name=shown.indicator.name(lang),
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "fillOpacity": 0.85,
            "color": "#ffffff",
            "weight": 1,
        },
        highlight_function=lambda _f: {"weight": 3, "color": "#263238"},
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=True),
    ).add_to(fmap)
    shapes = access.unit_shapes(info.code)
    flags = unit_flags(access, info.code, shapes.codes)
    if any(flags):
        flagged = dict(collection)
        flagged["features"] = [
            {"type": "Feature", "properties": {}, "geometry": f["geometry"]}
            for f, flag in zip(collection["features"], flags, strict=True)
            if flag
        ]
        folium.GeoJson(
            flagged,
            name=_text("flags", lang),
            style_function=lambda _f: {"color": _FLAG_COLOUR, "weight": 2, "fill": False},
            interactive=False,
        ).add_to(fmap)
    households, drawn, note = _household_layer(access, state, request)
    if households is not None:
        households.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    note = " ".join(x for x in (shown.notice, note) if x)
    root = fmap.get_root()
    root.header.add_child(Element(f"<style>{PAGE_CSS}</style>{stamp_meta(stamp)}"))
    root.header.add_child(Element(f"<title>{html.escape(stamp.title())}</title>"))
    fmap.get_root().html.add_child(
        Element(stamp_html(stamp, note) + _legend_html(shown, axis, lang))
    )
    return FoliumMap(fmap, stamp, len(shapes.codes), drawn, note)


def render_folium(request: ExportRequest) -> ExportResult:
    """The ``html-folium`` file: one HTML page, Leaflet inlined, no outside reference."""
    built = folium_map(request)
    page = folium_html(built.fmap)
    state = request.state
    code = built.stamp.region_code
    return ExportResult(
        data=page.encode("utf-8"),
        filename=file_name(code, state.year, state.indicator, "html", panel="folium"),
        media_type="text/html; charset=utf-8",
    )


register_format(
    "html-folium",
    render_folium,
    FormatInfo(extension="html", media_type="text/html; charset=utf-8", panels=("map",)),
)
