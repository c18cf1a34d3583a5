"""The search box: each keystroke lists matching regions as links to their view.

A result is a plain link (``?region=…`` with the rest of the view kept), so picking one is
the same as following a deep link: the state callback drills there, back returns. Only the
user's scope is searched (:meth:`~battlemap.geodata.access.Scope.allows`).
"""

from __future__ import annotations

import threading
import weakref

from dash import Dash, Input, Output, ctx, dcc, html, no_update

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


def register(app: Dash, context: AppContext) -> None:
    """Results per keystroke; the box empties when the view changes (a result was picked)."""

    @app.callback(
        Output(ids.SEARCH_RESULTS, "children"),
        Output(ids.SEARCH, "value"),
        Input(ids.SEARCH, "value"),
        Input(ids.STATE, "data"),
        prevent_initial_call=True,
    )
    def update_results(query, data):
        if ctx.triggered_id == ids.STATE:
            return [], "" if query else no_update
        state = ViewState.from_dict(data)
        if not query or not long_enough(query):
            return [], no_update
        access = context.access()
        hits, total = region_index(access.store).search(
            query, limit=SHOWN, allows=access.scope.allows
        )
        if not hits:
            return [html.Li(t("search_none", state.lang), className="none")], no_update
        return result_items(hits, total, state), no_update
