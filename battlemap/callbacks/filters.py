"""Cross-filter wiring: a click on a cause bar, a radar point or a household's cause or type
sets ``filter=`` in the URL; the chip's × removes it. The state callback reads the URL as
for any link, so a filtered view is shareable and back undoes a filter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dash import Dash, Input, Output, State
from dash.exceptions import PreventUpdate

from battlemap import ids
from battlemap.geodata.schema import CAUSES
from battlemap.indicators.filters import Filter, parse_filter
from battlemap.indicators.rules import GUARANTEES
from battlemap.viewstate import ViewState

__all__ = ["filter_from_cell", "filter_from_click", "register"]


def filter_from_click(click: Mapping[str, Any] | None, kind: str) -> str | None:
    """The filter token of a click on the cause bars (``kind`` cause) or the radar."""
    for point in (click or {}).get("points", []):
        key = point.get("customdata")
        if kind == "cause" and isinstance(key, int) and 1 <= key <= len(CAUSES):
            return Filter("cause", CAUSES[key - 1]).token
        if kind == "guarantee" and key in GUARANTEES:
            return Filter("guarantee", key).token
    return None


def filter_from_cell(cell: Mapping[str, Any] | None, rows: list[dict] | None) -> str | None:
    """The filter token of a click on a household table's cause or type cell."""
    if not cell or cell.get("column_id") not in ("primary_cause", "hh_type"):
        return None
    row = next((r for r in rows or [] if r.get("id") == cell.get("row_id")), None)
    token = (row or {}).get(f"filter_{cell['column_id']}")
    return token if parse_filter(token) else None


def _with_filter(data: dict, token: str | None) -> str:
    state = ViewState.from_dict(data)
    if token == state.filter:
        raise PreventUpdate
    return state.query(filter=token)


# The charts are mounted after the map draws, so a server callback cannot listen to their
# clickData (Dash refuses inputs missing from the first layout): plotly_click is hooked in
# the browser on every chart the boxes receive and lands in the FILTER_PICK store.
_HOOK = (
    """
function(pathname) {
    var boxes = {'__CAUSES__': 'cause', '__RADAR__': 'guarantee'};
    function hook() {
        Object.keys(boxes).forEach(function (box) {
            var gd = document.querySelector('#' + box + ' .js-plotly-plot');
            if (!gd || !gd.on || gd.__bmFilterHook) { return; }
            gd.__bmFilterHook = true;
            gd.on('plotly_click', function (ev) {
                var p = ev && ev.points && ev.points[0];
                if (!p || p.customdata === undefined || p.customdata === null) { return; }
                window.dash_clientside.set_props('__PICK__', {
                    data: {kind: boxes[box], key: p.customdata, at: Date.now()}
                });
            });
        });
    }
    hook();
    new MutationObserver(hook).observe(document.body, {childList: true, subtree: true});
    return window.dash_clientside.no_update;
}
""".replace("__CAUSES__", ids.CAUSES_BOX)
    .replace("__RADAR__", ids.RADAR_BOX)
    .replace("__PICK__", ids.FILTER_PICK)
)


def register(app: Dash) -> None:
    """Three sources of a filter and the chip's remove button, each writing the URL."""

    app.clientside_callback(
        _HOOK, Output(ids.FILTER_PICK, "clear_data"), Input(ids.URL, "pathname")
    )

    @app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Input(ids.FILTER_PICK, "data"),
        State(ids.STATE, "data"),
        prevent_initial_call=True,
    )
    def chart_filter(pick, data):
        token = filter_from_click(
            {"points": [{"customdata": (pick or {}).get("key")}]}, (pick or {}).get("kind", "")
        )
        if token is None:
            raise PreventUpdate
        return _with_filter(data, token)

    @app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Output(ids.HOUSEHOLDS, "active_cell"),
        Input(ids.HOUSEHOLDS, "active_cell"),
        State(ids.HOUSEHOLDS, "data"),
        State(ids.STATE, "data"),
        prevent_initial_call=True,
    )
    def table_filter(cell, rows, data):
        token = filter_from_cell(cell, rows)
        if token is None:
            raise PreventUpdate
        return _with_filter(data, token), None

    @app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Input(ids.FILTER_REMOVE, "n_clicks"),
        State(ids.STATE, "data"),
        prevent_initial_call=True,
    )
    def remove_filter(clicks, data):
        if not clicks:
            raise PreventUpdate
        return _with_filter(data, None)
