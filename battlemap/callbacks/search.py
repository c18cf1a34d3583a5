"""The search box: each keystroke lists matching regions as links to their view.

A result is a plain link (``?region=…`` with the rest of the view kept), so picking one is
the same as following a deep link: the state callback drills there, back returns. Only the
user's scope is searched (:meth:`~battlemap.geodata.access.Scope.allows`).
"""

from __future__ import annotations

import threading
import weakref

from dash import Dash, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from battlemap import ids
from battlemap.callbacks.context import AppContext
from battlemap.geodata.search import RegionIndex, SearchHit, long_enough
from battlemap.i18n import level_name, t
from battlemap.viewstate import ViewState

__all__ = ["SHOWN", "region_index", "register", "result_items"]

SHOWN = 12  # results listed per keystroke
_INDEXES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def region_index(store) -> RegionIndex:
    """The search index of a store's region tree, built once per store."""
    with _LOCK:
        index = _INDEXES.get(store)
        if index is None:
            index = _INDEXES[store] = RegionIndex(store.regions)
        return index


def result_items(hits: list[SearchHit], total: int, state: ViewState) -> list[html.Li]:
    """One link per hit (name, level, path) plus a line when more matched than shown."""
    items = [
        html.Li(
            dcc.Link(
                [
                    html.Span(hit.name, className="bm-hit-name"),
                    html.Small(level_name(hit.level, state.lang), className="bm-hit-level"),
                    html.Div(hit.path_text(), className="bm-hit-path"),
                ],
                href=state.query(region=hit.code),
            ),
            className="bm-hit",
        )
        for hit in hits
    ]
    if total > len(hits):
        items.append(html.Li(t("search_more", state.lang).format(n=len(hits)), className="more"))
    return items


# A pick (a click on a result link, bubbling to the list) empties the box and the list in
# the browser; the link itself changes the URL. Year play or other view changes leave a
# half-typed search alone.
_CLEAR_ON_PICK = """
function(clicks) {
    if (!clicks) { return [window.dash_clientside.no_update, window.dash_clientside.no_update]; }
    return ['', []];
}
"""


def register(app: Dash, context: AppContext) -> None:
    """Results per keystroke; Enter goes to the first match; a pick empties the box."""

    def hits_for(query: str | None) -> tuple[list[SearchHit], int]:
        if not query or not long_enough(query):
            return [], 0
        access = context.access()
        return region_index(access.store).search(query, limit=SHOWN, allows=access.scope.allows)

    @app.callback(
        Output(ids.SEARCH_RESULTS, "children"),
        Input(ids.SEARCH, "value"),
        State(ids.STATE, "data"),
        prevent_initial_call=True,
    )
    def update_results(query, data):
        state = ViewState.from_dict(data)
        if not query or not long_enough(query):
            return []
        hits, total = hits_for(query)
        if not hits:
            return [html.Li(t("search_none", state.lang), className="none")]
        return result_items(hits, total, state)

    @app.callback(
        Output(ids.URL, "search", allow_duplicate=True),
        Output(ids.SEARCH, "value", allow_duplicate=True),
        Output(ids.SEARCH_RESULTS, "children", allow_duplicate=True),
        Input(ids.SEARCH, "n_submit"),
        State(ids.SEARCH, "value"),
        State(ids.STATE, "data"),
        prevent_initial_call=True,
    )
    def go_to_first(_submits, query, data):
        hits, _ = hits_for(query)
        if not hits:
            raise PreventUpdate
        return ViewState.from_dict(data).query(region=hits[0].code), "", []

    app.clientside_callback(
        _CLEAR_ON_PICK,
        Output(ids.SEARCH, "value", allow_duplicate=True),
        Output(ids.SEARCH_RESULTS, "children", allow_duplicate=True),
        Input(ids.SEARCH_RESULTS, "n_clicks"),
        prevent_initial_call=True,
    )
