"""Tables of the region in view: ranking of children, exit checks, households (masked).

Wiring only: the panels come from :mod:`battlemap.views.tables`.
"""

from __future__ import annotations

from dash import Dash, Input, Output

from battlemap import ids
from battlemap.callbacks.context import AppContext
from battlemap.callbacks.view_keys import NOT_MAP
from battlemap.views.tables import exit_check_panel, household_panel, ranking_panel
from battlemap.viewstate import ViewState

__all__ = ["register"]


def register(app: Dash, context: AppContext) -> None:
    """One request for the ranking, exit-check and household tables."""

    @app.callback(
        Output(ids.RANKING, "data"),
        Output(ids.RANKING, "columns"),
        Output(ids.EXIT_CHECKS, "data"),
        Output(ids.EXIT_CHECKS, "columns"),
        Output(ids.EXIT_NOTE, "children"),
        Output(ids.HOUSEHOLDS, "data"),
        Output(ids.HOUSEHOLDS, "columns"),
        Output(ids.HOUSEHOLD_NOTE, "children"),
        Input(ids.STATE, "data"),
    )
    def update_tables(data):
        state = ViewState.from_dict(data)
        return context.cached_view("tables", state, NOT_MAP, lambda: _tables(state))

    def _tables(state: ViewState) -> tuple:
        access = context.access()
        ranking = ranking_panel(access, state)
        checks = exit_check_panel(access, state, summary=context.summary(state.region, state.year))
        households = household_panel(access, state, households=context.households)
        return (
            ranking.rows,
            ranking.columns,
            checks.rows,
            checks.columns,
            checks.note,
            households.rows,
            households.columns,
            households.note,
        )
