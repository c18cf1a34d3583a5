"""The cadres panel of the county and village views (issue 15). Wiring only: the panel
comes from :func:`battlemap.views.cadres.cadres_panel`."""

from __future__ import annotations

from dash import Dash, Input, Output

from battlemap import ids
from battlemap.callbacks.context import AppContext
from battlemap.callbacks.view_keys import REGION_YEAR
from battlemap.layout import chart
from battlemap.views.cadres import cadres_panel
from battlemap.viewstate import ViewState

__all__ = ["register"]

CADRES_CHART = "cadre-chart"


def register(app: Dash, context: AppContext) -> None:
    """One request per view change for the cadres table, its note and the score bars."""

    @app.callback(
        Output(ids.CADRES_TABLE, "data"),
        Output(ids.CADRES_TABLE, "columns"),
        Output(ids.CADRES_NOTE, "children"),
        Output(ids.CADRES_BOX, "children"),
        Input(ids.STATE, "data"),
    )
    def update_cadres(data):
        state = ViewState.from_dict(data)
        return context.cached_view("cadres", state, REGION_YEAR, lambda: _cadres(state))

    def _cadres(state: ViewState) -> tuple:
        panel = cadres_panel(context.access(), state)
        box = chart(CADRES_CHART, panel.figure) if panel.figure else None
        return panel.rows, panel.columns, panel.note, box
