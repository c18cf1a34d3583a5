"""Charts of the region in view: cause bars, trend lines, guarantee radar.

Wiring only: the figures come from :mod:`battlemap.views.charts`.
"""

from __future__ import annotations

from dash import Dash, Input, Output, State
from dash.exceptions import PreventUpdate

from battlemap import ids
from battlemap.callbacks.context import AppContext
from battlemap.callbacks.view_keys import NOT_MAP
from battlemap.layout import chart
from battlemap.views.charts import causes_panel, radar_panel, trend_panel
from battlemap.viewstate import ViewState

__all__ = ["register"]


def register(app: Dash, context: AppContext) -> None:
    """One request for the three charts, once the map has drawn the view (``MAP_DRAWN`` is set
    in the browser after plotly draws the map), so charts never delay the map."""

    @app.callback(
        Output(ids.CAUSES_BOX, "children"),
        Output(ids.TREND_BOX, "children"),
        Output(ids.RADAR_BOX, "children"),
        Output(ids.CHART_KEY, "data"),
        Input(ids.MAP_DRAWN, "data"),
        State(ids.STATE, "data"),
        State(ids.CHART_KEY, "data"),
        prevent_initial_call=True,
    )
    def update_charts(_drawn, data, drawn_for):
        if data == drawn_for:
            raise PreventUpdate  # the map redrew (a resize) but the view is the same
        state = ViewState.from_dict(data)
        charts = context.cached_view("charts", state, NOT_MAP, lambda: _charts(state))
        return (*charts, data)

    def _charts(state: ViewState) -> tuple:
        access = context.access()
        summary = context.summary(state.region, state.year)
        return (
            chart(ids.CAUSES, causes_panel(access, state, summary=summary).figure),
            chart(ids.TREND, trend_panel(access, state).figure),
            chart(ids.RADAR, radar_panel(access, state, summary=summary).figure),
        )
