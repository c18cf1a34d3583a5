"""The map panel: choropleth of the children, labels, poverty-flag borders and the chosen
layers (heat, households, hexbins, flows) for one view, as one plotly figure.

The page (callbacks/mapview.py, callbacks/state.py), the exports, the wall and the brief
all draw the map from :func:`build_map`, so they cannot disagree. The page passes
:class:`MapUrls` whose boundaries are URLs the browser fetches and caches; programs with no
web server (kaleido, a standalone file) use :func:`inline_urls`, which puts the GeoJSON
itself in the figure.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from battlemap.geodata.access import ScopedStore
from battlemap.geodata.features import HEX_RESOLUTION, RegionShapes
from battlemap.geodata.schema import POOR_STATUSES
from battlemap.i18n import t
from battlemap.layers.base import Figure, map_view
from battlemap.layers.catalog import Indicator
from battlemap.layers.choropleth import (
    choropleth_traces,
    flagged_legend_trace,
    flagged_outline_trace,
)
from battlemap.layers.flows import flow_traces
from battlemap.layers.heat import heat_trace
from battlemap.layers.hexbins import cell_centres, hexbin_coloraxis, hexbin_trace
from battlemap.layers.households import MAX_POINTS, household_bubbles, household_traces
from battlemap.layers.labels import label_traces
from battlemap.layers.mapfigure import map_figure
from battlemap.layers.suppress import suppress_small_bubbles
from battlemap.views.filtered import filtered_loader
from battlemap.views.panel import HouseholdLoader, PanelView
from battlemap.views.values import ShownValues, bubble_metric, shown_values
from battlemap.viewstate import ViewState, view_layout

__all__ = [
    "DEFAULT_VIEWPORT",
    "MapUrls",
    "build_map",
    "colour_max",
    "initial_figure",
    "inline_urls",
    "label_size",
    "map_panel",
    "unit_flags",
    "unit_values",
]

# legend of the flagged units' border by their level (贫困县 / 贫困乡镇 / 贫困村)
_FLAG_LEGEND = {3: "flag_legend_county", 4: "flag_legend_township", 5: "flag_legend_village"}
DEFAULT_VIEWPORT = {"w": 640, "h": 520}


@dataclass(frozen=True)
class MapUrls:
    """Where the map's boundaries come from (per region code: a URL, or the GeoJSON itself
    as a dict) and the map glyphs URL (None: no text glyph source)."""

    geo: Callable[[str], str | dict[str, Any]]
    glyphs: str | None = None


def inline_urls(access: ScopedStore) -> MapUrls:
    """Boundaries inside the figure (no server needed: kaleido, standalone files)."""

    def geo(code: str) -> dict[str, Any]:
        return json.loads(access.unit_shapes(code).geojson)

    return MapUrls(geo=geo, glyphs=None)


def unit_values(
    access: ScopedStore, region: str, year: int, indicator: Indicator
) -> dict[str, float | int | None]:
    """The indicator for each map unit of ``region`` (its children, or itself at a village)."""
    shapes = access.unit_shapes(region)
    if indicator.source == "relocations":
        flows = access.relocation_flows(region, year)
        persons = flows.groupby("origin_code")["persons"].sum()
        return {c: int(persons.get(c, 0)) for c in shapes.codes}
    if indicator.source == "cadres":  # issue 15
        from battlemap.views.cadres import cadre_unit_values

        return cadre_unit_values(access, region, year, indicator, shapes.codes)
    if indicator.source == "funds":  # issue 14
        from battlemap.views.funds import funds_unit_values

        return funds_unit_values(access, region, year, indicator)
    counts = _unit_counts(access, region, year, shapes.codes)
    return {c: indicator.value(counts[c]) if c in counts else None for c in shapes.codes}


def colour_max(access: ScopedStore, region: str, indicator: Indicator) -> float | None:
    """Largest unit value over all years, so colours mean the same while the years play."""
    years = access.years[-1:] if indicator.source == "relocations" else access.years
    top: float | None = None
    for year in years:
        for value in unit_values(access, region, year, indicator).values():
            if value is not None and (top is None or value > top):
                top = float(value)
    return top


def label_size(units: int) -> int:
    """Label font size: smaller when a region has many units."""
    return 12 if units <= 30 else 10


def unit_flags(access: ScopedStore, region: str, codes: tuple[str, ...]) -> list[bool]:
    """``poverty_flag`` (贫困县/乡镇/村) of each map unit: the children, or the village itself."""
    if codes == (region,):
        return [access.region(region).poverty_flag]
    flags = {c.code: c.poverty_flag for c in access.children(region)}
    return [flags.get(c, False) for c in codes]


def _unit_counts(access: ScopedStore, region: str, year: int, codes: tuple[str, ...]) -> dict:
    if codes == (region,):
        return {region: access.counts(region, year)}
    return access.children_counts(region, year)


def _point_layers(
    access: ScopedStore,
    state: ViewState,
    level: int,
    shapes: RegionShapes,
    households_of: HouseholdLoader,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None, str]:
    """Hexbin, heat and household traces (+ the hexbin colour axis and a notice)."""
    traces: list[dict[str, Any]] = []
    coloraxis2 = None
    notice = ""
    layers = set(state.layers)
    households = None
    # without household rights the points stay on the server: bubbles and suppressed hexbins
    if ("households" in layers or "heat" in layers) and level >= 4 and access.scope.households:
        registered = access.counts(state.region, state.year)["registered_households"]
        if registered <= MAX_POINTS:
            households = households_of(state.region, state.year)
    if "hexbins" in layers:
        cells = access.hexbins(state.region, state.year)
        if not cells.empty:
            traces.append(hexbin_trace(cells, lang=state.lang))
            coloraxis2 = hexbin_coloraxis(float(cells["poor_persons"].max()), lang=state.lang)
    if "heat" in layers:
        if households is not None:
            poor = households[households["status"].isin(POOR_STATUSES)]
            traces.append(
                heat_trace(
                    poor["lon"].round(5).tolist(),
                    poor["lat"].round(5).tolist(),
                    poor["size"].tolist(),
                    level=level,
                    lang=state.lang,
                )
            )
        else:
            finer = min(HEX_RESOLUTION[level] + 1, 9)
            cells = access.hexbins(state.region, state.year, finer)
            lon, lat = cell_centres(cells["cell"].tolist())
            traces.append(
                heat_trace(lon, lat, cells["poor_persons"].tolist(), level=level, lang=state.lang)
            )
    if "households" in layers:
        if households is not None:
            colour_by = "cause" if "by_cause" in layers else "status"
            traces += household_traces(households, colour_by=colour_by, lang=state.lang)
        else:
            counts = _unit_counts(access, state.region, state.year, shapes.codes)
            metric = bubble_metric(state)  # poor households (of the filtered cause)
            poor = [counts[c][metric] if c in counts else 0 for c in shapes.codes]
            bubbles = household_bubbles(
                shapes.codes, shapes.names, shapes.label_lon, shapes.label_lat, poor,
                lang=state.lang,
            )  # fmt: skip
            if not access.scope.households:  # no household rights: 1–2 households read "<3"
                bubbles = suppress_small_bubbles(bubbles, poor, lang=state.lang)
            traces.append(bubbles)
            notice = t("households_aggregated", state.lang)
            if "by_cause" in layers:
                notice = f"{notice}; {t('by_cause_township', state.lang)}"
    if "projects" in layers:  # issue 14: points by status sized by budget, H3 where dense
        from battlemap.views.funds import project_map_traces

        traces += project_map_traces(access, state)
    return traces, coloraxis2, notice


def build_map(
    access: ScopedStore,
    state: ViewState,
    *,
    urls: MapUrls,
    viewport: dict[str, Any] | None = None,
    households: HouseholdLoader | None = None,
) -> tuple[Figure, str]:
    """The full map figure of ``state`` and a notice line (empty when nothing to say).

    ``households`` loads (masked) household points; default: straight from ``access``.
    """
    figure, notice, _shown, _shapes = _build(access, state, urls, viewport, households)
    return figure, notice


def _build(
    access: ScopedStore,
    state: ViewState,
    urls: MapUrls,
    viewport: dict[str, Any] | None,
    households: HouseholdLoader | None,
) -> tuple[Figure, str, ShownValues, RegionShapes]:
    info = access.region(state.region)
    shapes = access.unit_shapes(info.code)
    loader = filtered_loader(households or access.households, state)  # the cross-filter
    shown = shown_values(access, state)  # indicator, filter, change
    indicator, values = shown.indicator, shown.values
    layers = set(state.layers)
    traces = choropleth_traces(
        urls.geo(info.code),
        shapes.codes,
        shapes.names,
        [values[c] for c in shapes.codes],
        indicator=indicator,
        lang=state.lang,
        show_values="choropleth" in layers,
    )
    # the flagged units' border: the same for every year, so a value Patch leaves it alone
    flags = unit_flags(access, info.code, shapes.codes)
    if any(flags):
        level = info.level if shapes.codes == (info.code,) else info.level + 1
        name = t(_FLAG_LEGEND.get(level, "flag_legend"), state.lang)
        traces.append(flagged_outline_trace(urls.geo(info.code), shapes.codes, flags))
        at = shapes.labels[shapes.codes[flags.index(True)]]
        traces.append(flagged_legend_trace(name, at))
    point_traces, coloraxis2, notice = _point_layers(access, state, info.level, shapes, loader)
    notice = " ".join(x for x in (notice, shown.notice) if x)
    traces += point_traces
    if "flows" in layers:
        names = dict(zip(shapes.codes, shapes.names, strict=True))
        traces += flow_traces(
            access.relocation_flows(info.code, state.year),
            access.labour_flows(info.code, state.year),
            shapes.labels,
            names,
            lang=state.lang,
        )
    if "checkins" in layers and info.level >= 4 and access.scope.households:
        from battlemap.views.cadres import checkin_layer  # issue 15

        traces += checkin_layer(access, info.code, state.year, lang=state.lang)
    zmax = shown.zmax
    if "labels" in layers:
        traces += label_traces(
            shapes.codes,
            shapes.names,
            shapes.label_lon,
            shapes.label_lat,
            values=shown.label_values(shapes.codes) if "choropleth" in layers else None,
            zmax=zmax,
            size=label_size(len(shapes.codes)),
        )
    if all(v is None for v in values.values()):
        notice = " ".join(x for x in (notice, t("empty_region", state.lang)) if x)
    port = viewport or DEFAULT_VIEWPORT
    figure = map_figure(
        traces,
        view=view_layout(state.view)  # a linked view (map=zoom/lat/lon), else the fit
        or map_view(
            shapes.bounds,
            width=port.get("w", 640),
            height=port.get("h", 520),
            top=port.get("top", 0),  # px kept free over the map (the wall: its credit line)
            bottom=port.get("bottom", 0),  # and under it (the wall: its colour bar)
        ),
        uirevision=info.code,
        glyphs_url=urls.glyphs if "labels" in layers else None,
        coloraxis=shown.coloraxis(state.lang),
        coloraxis2=coloraxis2,
        credit=t("map_credit", state.lang),
        meta={"region": info.code, "year": state.year, "indicator": state.indicator},
        width=port.get("w", 640),  # a narrow map (a phone) breaks the credit into lines
    )
    return figure, notice, shown, shapes


def initial_figure(
    access: ScopedStore,
    state: ViewState,
    *,
    urls: MapUrls,
    households: HouseholdLoader | None = None,
) -> Figure:
    """The map as the page's first paint: the whole figure, for a typical map size.

    Sent inside the layout, the map draws without waiting for its callback; the callback's
    first answer then only corrects the view for the real map size.
    """
    return build_map(access, state, urls=urls, households=households)[0]


def map_panel(
    access: ScopedStore,
    state: ViewState,
    *,
    urls: MapUrls | None = None,
    viewport: dict[str, Any] | None = None,
    households: HouseholdLoader | None = None,
) -> PanelView:
    """The map of ``state`` as a :class:`PanelView`: ``figure``, ``note`` (the notice line)
    and ``data`` (``indicator``, ``label``, ``unit``, ``values`` by unit code, ``names``,
    ``change``); ``rows`` are the units with their values. ``urls`` default: inline GeoJSON."""
    figure, notice, shown, shapes = _build(
        access, state, urls or inline_urls(access), viewport, households
    )
    names = dict(zip(shapes.codes, shapes.names, strict=True))
    label = shown.indicator.name(state.lang)
    rows = [{"code": c, "name": names[c], "value": shown.values.get(c)} for c in shapes.codes]
    columns = [
        {"name": t("name", state.lang), "id": "name"},
        {"name": label, "id": "value"},
    ]
    return PanelView(
        panel="map",
        title=shown.indicator.title(state.lang),
        figure=figure,
        rows=rows,
        columns=columns,
        note=notice,
        data={
            "indicator": shown.indicator.key,
            "label": label,
            "unit": shown.indicator.unit[1 if state.lang == "en" else 0],
            "values": dict(shown.values),
            "names": names,
            "change": shown.change,
            "zmax": shown.zmax,
        },
    )
