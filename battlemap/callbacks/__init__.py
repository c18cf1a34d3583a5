"""Dash wiring only: each module reads the view state, calls layers, returns figures."""

from __future__ import annotations

from collections.abc import Callable

from dash import Dash

from battlemap.callbacks import (
    cadres,
    charts,
    clientside,
    exports,
    filters,
    funds,
    mapview,
    panels,
    search,
    state,
    tables,
)
from battlemap.callbacks.context import AppContext
from battlemap.views.mapview import MapUrls

__all__ = ["AppContext", "MapUrls", "register_all"]


def register_all(app: Dash, context: AppContext, urls: Callable[[], MapUrls]) -> None:
    """Register every feature's callbacks on ``app``."""
    state.register(app, context, urls)
    mapview.register(app, context, urls)
    panels.register(app, context)
    charts.register(app, context)
    tables.register(app, context)
    cadres.register(app, context)
    funds.register(app, context)
    exports.register(app, context)
    search.register(app, context)
    filters.register(app)
    clientside.register(app)
