"""The export menu of the current view: a choice, a button and a download.

The file is rendered by :mod:`battlemap.exports` from the same views as the page, through
``context.access()`` (scope, export right, household right, name masking); a refusal shows
in the page banner like every callback's (无权访问). Choices a role may not use are not
offered (``export_choices``), and a crafted choice is refused all the same.
"""

from __future__ import annotations

from dash import Dash, Input, Output, State, dcc
from dash.exceptions import PreventUpdate

from battlemap import ids
from battlemap.callbacks.context import AppContext
from battlemap.exportmenu import choice_by_key, export_choices
from battlemap.exports import ExportRequest, render
from battlemap.geodata.access import MissingRightError
from battlemap.i18n import t
from battlemap.viewstate import ViewState

__all__ = ["export_request", "register"]


def export_request(context: AppContext, state: ViewState, choice_key: str) -> ExportRequest:
    """The request of a menu choice (MissingRightError for an unknown or forbidden one)."""
    access = context.access()
    choice = choice_by_key(choice_key)
    if choice is None or choice not in export_choices(access.scope):
        access.region(state.region)  # the scope check first, then the right
        raise MissingRightError("this export is not available to your role")
    panel = {"workbook": "indicators", "polygons": "map"}.get(choice.panel, choice.panel)
    return ExportRequest(
        access, state, panel=panel, options={"size": choice.size}, households=context.households
    )


def register(app: Dash, context: AppContext) -> None:
    """Wire the export button: render the chosen file and hand it to the browser."""

    @app.callback(
        Output(ids.EXPORT_DOWNLOAD, "data"),
        Output(ids.EXPORT_NOTE, "children"),
        Input(ids.EXPORT_BUTTON, "n_clicks"),
        State(ids.EXPORT_CHOICE, "value"),
        State(ids.STATE, "data"),
        prevent_initial_call=True,
    )
    def export_view(clicks, choice, data):
        if not clicks or not data:
            raise PreventUpdate
        state = ViewState.from_dict(data)
        request = export_request(context, state, choice)
        fmt = choice_by_key(choice).fmt
        result = render(fmt, request)
        note = f"{t('export_ready', state.lang)}: {result.filename}"
        return dcc.send_bytes(result.data, result.filename, type=result.media_type), note
