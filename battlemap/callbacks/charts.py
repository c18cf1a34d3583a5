"""Charts of the region in view: cause bars, trend lines, guarantee radar."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dash import Dash, Input, Output, State
from dash.exceptions import PreventUpdate

from battlemap import ids
from battlemap.callbacks.context import AppContext
from battlemap.geodata.access import ScopedStore
from battlemap.indicators.filters import parse_filter
from battlemap.indicators.incidence import incidence_pct
from battlemap.layers.base import Figure
from battlemap.layers.causes import cause_bars
from battlemap.layers.radar import radar_figure
from battlemap.layers.trend import trend_figure
from battlemap.layout import chart
from battlemap.viewstate import ViewState

__all__ = ["cause_figure", "radar_view", "register", "trend_view"]


def cause_figure(summary: Mapping[str, Any], lang: str, selected: str | None = None) -> Figure:
    """Cause bars from ``region_summary``'s ``causes`` (primary cause → persons);
    ``selected`` is the cause the view is filtered to."""
    return cause_bars(summary["causes"], lang=lang, selected=selected)


def trend_view(access: ScopedStore, state: ViewState) -> Figure:
    """Incidence and poor persons 2014–2020 for the region and its parent."""
    info = access.region(state.region)
    series = access.series(info.code)
    parent = access.parent(info.code)
    parent_series = access.series(parent.code) if parent else None
    return trend_figure(
        {y: incidence_pct(c) for y, c in series.items()},
        {y: c["poor_persons"] for y, c in series.items()},
        parent_incidence={y: incidence_pct(c) for y, c in parent_series.items()}
        if parent_series
        else None,
        parent_persons={y: c["poor_persons"] for y, c in parent_series.items()}
        if parent_series
        else None,
        region_name=info.name,
        parent_name=parent.name if parent else "",
        year=state.year,
        lang=state.lang,
    )


def radar_view(context: AppContext, state: ViewState) -> Figure:
    """Radar of the region vs its parent: ``region_summary``'s ``radar``/``radar_parent``."""
    access = context.access()
    info = access.region(state.region)
    summary = context.summary(info.code, state.year)
    parent = access.parent(info.code)
    flt = parse_filter(state.filter)
    return radar_figure(
        summary["radar"],
        summary["radar_parent"] if parent else None,
        region_name=info.name,
        parent_name=parent.name if parent else "",
        lang=state.lang,
        selected=flt.value if flt and flt.kind == "guarantee" else None,
    )


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
        flt = parse_filter(state.filter)
        causes = cause_figure(
            context.summary(state.region, state.year),
            state.lang,
            flt.value if flt and flt.kind == "cause" else None,
        )
        return (
            chart(ids.CAUSES, causes),
            chart(ids.TREND, trend_view(context.access(), state)),
            chart(ids.RADAR, radar_view(context, state)),
            data,
        )
