"""The map: a full figure when the region, layers or language change, a Patch otherwise.

A drill click sends a small figure whose boundaries are a URL (``/geo/<code>.json``, fetched
once and cached by the browser); a year or indicator change with only the choropleth and
labels on sends a :class:`dash.Patch` with the new values alone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from dash import Dash, Input, Output, Patch, State, no_update

from battlemap import ids
from battlemap.callbacks.context import AppContext
from battlemap.layers.base import Figure
from battlemap.views.mapview import DEFAULT_VIEWPORT, MapUrls, build_map
from battlemap.viewstate import ViewState

__all__ = ["map_key", "map_update", "register", "static_digest", "value_patch"]

# Fields a value Patch resends, by trace name (geometry URLs and styles stay).
PATCH_FIELDS: dict[str, tuple[str, ...]] = {
    "outline": ("locations", "z", "customdata"),
    "values": ("locations", "z", "customdata", "name"),
    "bubbles": ("marker", "customdata"),
    "labels": ("lon", "lat", "text", "customdata"),
    "labels-light": ("lon", "lat", "text", "customdata"),
}


def map_key(state: ViewState, viewport: dict[str, Any] | None) -> dict[str, Any]:
    """What forces a full figure: region, layers, language and the map's pixel size."""
    return {
        "region": state.region,
        "layers": list(state.layers),
        "lang": state.lang,
        "viewport": viewport or DEFAULT_VIEWPORT,
    }


def static_digest(figure: Figure) -> str:
    """Digest of everything a value Patch does not send (geometry, points, hexbins, flows,
    styles, view): equal digests mean a Patch of the values draws the whole new figure."""
    data = [
        {k: v for k, v in tr.items() if k not in PATCH_FIELDS.get(tr.get("meta", ""), ())}
        for tr in figure["data"]
    ]
    layout = {k: v for k, v in figure["layout"].items() if k not in ("coloraxis", "meta")}
    text = json.dumps([data, layout], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def value_patch(figure: Figure) -> dict[str, Any]:
    """The parts of a full figure a Patch must send: value fields by trace, colour axis."""
    traces = {}
    for index, trace in enumerate(figure["data"]):
        fields = PATCH_FIELDS.get(trace.get("meta", ""), ())
        if fields:
            traces[index] = {k: trace[k] for k in fields if k in trace}
    return {
        "traces": traces,
        "coloraxis": figure["layout"].get("coloraxis"),
        "meta": figure["layout"].get("meta"),
    }


def _patch(values: dict[str, Any]) -> Patch:
    patch = Patch()
    for index, fields in values["traces"].items():
        for key, value in fields.items():
            patch["data"][index][key] = value
    patch["layout"]["coloraxis"] = values["coloraxis"]
    patch["layout"]["meta"] = values["meta"]
    return patch


def map_update(
    context: AppContext,
    state: ViewState,
    *,
    urls: MapUrls,
    viewport: dict[str, Any] | None,
    rendered: dict[str, Any] | None,
) -> tuple[Figure | Patch, dict[str, Any] | Any, str]:
    """(figure or value Patch, the new map key or no_update, notice) for ``state``, given
    the key of the figure the browser has (``rendered``)."""
    figure, notice = build_map(
        context.access(), state, urls=urls, viewport=viewport, households=context.households
    )
    # the points (113 KB at a township), hexbins and flows go only when they changed
    key = {**map_key(state, viewport), "static": static_digest(figure)}
    if rendered == key:
        return _patch(value_patch(figure)), no_update, notice
    return figure, key, notice


def register(app: Dash, context: AppContext, urls: Callable[[], MapUrls]) -> None:
    """Wire the map callback for a new map size; ``urls()`` gives the URLs for the current
    request. A view change draws the map in the state callback's own answer
    (:mod:`battlemap.callbacks.state`), one round trip per click instead of two."""

    @app.callback(
        Output(ids.MAP, "figure"),
        Output(ids.MAP_KEY, "data"),
        Output(ids.NOTICE, "children"),
        Input(ids.VIEWPORT, "data"),
        State(ids.STATE, "data"),
        State(ids.MAP_KEY, "data"),
    )
    def update_map(viewport, data, rendered):
        state = ViewState.from_dict(data)
        return map_update(context, state, urls=urls(), viewport=viewport, rendered=rendered)
