"""The funds panel (issue 14): allocated vs paid by source, anomalies with reasons, and in
the village view the payments to households. Wiring only: the panel comes from
:mod:`battlemap.views.funds`."""

from __future__ import annotations

from dash import Dash, Input, Output

from battlemap import ids
from battlemap.callbacks.context import AppContext
from battlemap.callbacks.view_keys import REGION_YEAR
from battlemap.i18n import t
from battlemap.layout import chart
from battlemap.views.funds import funds_panel, village_payments
from battlemap.viewstate import ViewState

__all__ = ["register"]

FUNDS_CHART = "funds-chart"
_PAYMENT_COLUMNS = (
    ("project_name", "funds_col_project"),
    ("date", "funds_col_date"),
    ("amount", "projects_paid"),
    ("head_name", "hh_head"),
)


def register(app: Dash, context: AppContext) -> None:
    """One request per view change: the panel's note, chart, anomaly rows and payments."""

    @app.callback(
        Output(ids.FUNDS_TABLE, "data"),
        Output(ids.FUNDS_TABLE, "columns"),
        Output(ids.FUNDS_NOTE, "children"),
        Output(ids.FUNDS_BOX, "children"),
        Output(ids.FUNDS_PAYMENTS, "data"),
        Output(ids.FUNDS_PAYMENTS, "columns"),
        Input(ids.STATE, "data"),
    )
    def update_funds(data):
        state = ViewState.from_dict(data)
        return context.cached_view("funds", state, REGION_YEAR, lambda: _funds(state))

    def _funds(state: ViewState) -> tuple:
        access = context.access()
        panel = funds_panel(access, state)
        box = chart(FUNDS_CHART, panel.figure) if panel.figure else None
        rows, columns = [], []
        info = access.region(state.region)
        if info.level == 5 and access.scope.households and panel.data.get("available"):
            paid = village_payments(access, info.code, state.year)
            rows = paid.to_dict("records")
            columns = [{"name": t(label, state.lang), "id": key} for key, label in _PAYMENT_COLUMNS]
        return panel.rows, panel.columns, panel.note, box, rows, columns
