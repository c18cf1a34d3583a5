"""Charts of the region in view: cause bars, trend lines, guarantee radar."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dash import Dash, Input, Output

from battlemap import ids
from battlemap.callbacks.context import AppContext
from battlemap.geodata.access import ScopedStore
from battlemap.indicators.incidence import incidence_pct, percent
from battlemap.layers.base import Figure
from battlemap.layers.causes import cause_bars
from battlemap.layers.radar import radar_figure
from battlemap.layers.trend import trend_figure
from battlemap.viewstate import ViewState

__all__ = ["cause_figure", "radar_shares", "radar_view", "register", "trend_view"]

# Store metrics counting registered households that meet each guarantee (radar numerators).
GUARANTEE_PREFIX = "guarantee_households_"


def cause_figure(summary: Mapping[str, Any], lang: str) -> Figure:
    """Cause bars from ``region_summary``'s ``causes`` (primary cause → persons)."""
    return cause_bars(summary["causes"], lang=lang)


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
        if parent_series else None,
        parent_persons={y: c["poor_persons"] for y, c in parent_series.items()}
        if parent_series else None,
        region_name=info.name, parent_name=parent.name if parent else "",
        year=state.year, lang=state.lang,
    )


def radar_shares(summary: Mapping[str, Any], counts: Mapping[str, int]) -> dict[str, Any]:
    """Guarantee shares (%): ``region_summary``'s ``radar`` if present, else from counts."""
    radar = summary.get("radar")
    if isinstance(radar, Mapping) and radar:
        values = {k: (v.get("share_pct") if isinstance(v, Mapping) else v)
                  for k, v in radar.items()}
        if all(v is None or v <= 1.0 for v in values.values()) and any(values.values()):
            values = {k: None if v is None else round(v * 100, 4) for k, v in values.items()}
        return values
    return {name[len(GUARANTEE_PREFIX):]: percent(value, counts["registered_households"])
            for name, value in counts.items() if name.startswith(GUARANTEE_PREFIX)}


def radar_view(context: AppContext, state: ViewState) -> Figure:
    """Radar of the region vs its parent for the year."""
    access = context.access()
    info = access.region(state.region)
    region = radar_shares(context.summary(info.code, state.year),
                          access.counts(info.code, state.year))
    parent = access.parent(info.code)
    parent_shares = None
    if parent is not None:
        parent_shares = radar_shares(context.summary(parent.code, state.year),
                                     access.counts(parent.code, state.year))
    return radar_figure(region, parent_shares, region_name=info.name,
                        parent_name=parent.name if parent else "", lang=state.lang)


def register(app: Dash, context: AppContext) -> None:
    @app.callback(Output(ids.CAUSES, "figure"), Input(ids.STATE, "data"))
    def update_causes(data):
        state = ViewState.from_dict(data)
        return cause_figure(context.summary(state.region, state.year), state.lang)

    @app.callback(Output(ids.TREND, "figure"), Input(ids.STATE, "data"))
    def update_trend(data):
        return trend_view(context.access(), ViewState.from_dict(data))

    @app.callback(Output(ids.RADAR, "figure"), Input(ids.STATE, "data"))
    def update_radar(data):
        return radar_view(context, ViewState.from_dict(data))
