"""The region header: KPI tiles, the map title, breadcrumb/back/language links."""

from __future__ import annotations

from dash import Dash, Input, Output, html

from battlemap import ids
from battlemap.callbacks.context import AppContext
from battlemap.callbacks.navigation import navigation
from battlemap.callbacks.view_keys import VIEW_FIELDS
from battlemap.i18n import t
from battlemap.indicators.filters import parse_filter
from battlemap.layers.kpi import Tile
from battlemap.views.kpis import kpi_panel, region_title
from battlemap.views.values import filter_label
from battlemap.viewstate import ViewState

__all__ = ["chip", "register"]


def chip(state: ViewState) -> tuple[str, bool]:
    """The filter chip's text and whether the chip is hidden (no filter)."""
    flt = parse_filter(state.filter)
    return (filter_label(flt, state.lang), False) if flt else ("", True)


def _tile(tile: Tile) -> html.Div:
    tone = "" if tile.good is None else ("good" if tile.good else "bad")
    return html.Div(
        className=f"bm-tile {tone}",
        id=f"kpi-{tile.key}",
        children=[
            html.Div(tile.label, className="bm-tile-label"),
            html.Div(tile.value, className="bm-tile-value"),
            html.Div(tile.delta or "\u00a0", className="bm-tile-delta"),
        ],
    )


def register(app: Dash, context: AppContext) -> None:
    """One request per view change for the KPI tiles, the title and the navigation."""

    @app.callback(
        Output(ids.KPIS, "children"),
        Output(ids.REGION_TITLE, "children"),
        Output(ids.BREADCRUMB, "children"),
        Output(ids.BACK, "href"),
        Output(ids.BACK, "className"),
        Output(ids.LANG_ZH, "href"),
        Output(ids.LANG_EN, "href"),
        Output(ids.FILTER_LABEL, "children"),
        Output(ids.FILTER_CHIP, "hidden"),
        Input(ids.STATE, "data"),
    )
    def update_panels(data):
        state = ViewState.from_dict(data)
        return context.cached_view("panels", state, VIEW_FIELDS, lambda: _panels(state))

    def _panels(state: ViewState) -> tuple:
        access = context.access()
        kpis = kpi_panel(access, state)
        title = region_title(access, state)
        if kpis.data["counts"]["rural_population"] == 0:
            title = f"{title} — {t('empty_region', state.lang)}"
        return (
            [_tile(tile) for tile in kpis.data["tiles"]],
            title,
            *navigation(access, state),
            *chip(state),
        )
