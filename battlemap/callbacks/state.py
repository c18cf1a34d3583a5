"""The view state: URL ⇄ controls ⇄ map clicks, one callback owning ``?region=…&year=…``.

Every interaction (map click, ranking row, slider, indicator, layers, back/forward, a pasted
link) lands here and becomes a :class:`~battlemap.viewstate.ViewState`; figures and panels
only listen to the state store. :func:`resolve` is the logic, testable without Dash.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dash import Dash, Input, Output, State, ctx, no_update, set_props
from dash.exceptions import PreventUpdate

from battlemap import ids
from battlemap.callbacks.context import AppContext
from battlemap.callbacks.mapview import MapUrls, map_update
from battlemap.geodata.access import ScopedStore
from battlemap.geodata.errors import UnknownRegionError
from battlemap.i18n import t
from battlemap.viewstate import ViewState, parse_query, view_from_relayout

__all__ = ["clicked_region", "register", "resolve"]


def _is_code(value: object) -> bool:
    return isinstance(value, str) and len(value) == 12 and value.isdigit()


def clicked_region(click: Mapping[str, Any] | None) -> str | None:
    """The region code a map click points at.

    A choropleth point's ``location``; else the first or last ``customdata`` item that is
    a 12-digit code (labels and bubbles carry their unit first, households their village
    last).
    """
    for point in (click or {}).get("points", []):
        if _is_code(point.get("location")):
            return point["location"]
        custom = point.get("customdata")
        if not isinstance(custom, list):
            custom = [custom]
        for value in (custom[0], custom[-1]) if custom else ():
            if _is_code(value):
                return value
    return None


def resolve(
    trigger: str | None,
    current: ViewState,
    access: ScopedStore,
    *,
    indicators: list[str],
    search: str | None = None,
    click: Mapping[str, Any] | None = None,
    year: int | None = None,
    indicator: str | None = None,
    layers: list[str] | None = None,
    row_id: str | None = None,
    compare: str | int | None = None,
) -> tuple[ViewState, list[str]]:
    """The next view after ``trigger`` (a component ID) and the problems to report."""
    if trigger in (None, ids.URL):
        state, problems = parse_query(
            search, access, indicators=indicators, default_lang=current.lang
        )
        return state, problems
    access.region(current.region)  # a crafted current view of another region is refused
    if trigger in (ids.MAP, ids.RANKING):
        code = clicked_region(click) if trigger == ids.MAP else row_id
        if not code or code == current.region:
            return current, []
        try:
            target = access.region(code)  # the scope check: raises for foreign regions
        except UnknownRegionError:
            return current, []  # a 12-digit id that is no region (say, a household id)
        if target.parent_code != current.region:
            return current, []  # a click on a non-child (an outline, a far label): no drill
        return current.but(region=target.code), []
    if trigger == ids.YEAR and year is not None and int(year) in access.years:
        return current.but(year=int(year)), []
    if trigger == ids.INDICATOR and indicator in indicators:
        return current.but(indicator=indicator), []
    if trigger == ids.LAYERS and layers is not None:
        return current.but(layers=tuple(layers)), []
    if trigger == ids.COMPARE:
        since = int(compare) if str(compare or "").isdigit() else None
        if since is None or since in access.years:
            return current.but(compare=since), []
    return current, []


_TITLE = """
function(title) {
    if (title) { document.title = title; }
    return window.dash_clientside.no_update;
}
"""


def _compare_value(state: ViewState) -> str:
    """The compare dropdown's value for a state ("" = no comparison)."""
    return "" if state.compare is None else str(state.compare)


def register(app: Dash, context: AppContext, urls: Callable[[], MapUrls]) -> None:
    """Wire the state callback (the only writer of the URL and the state store).

    A changed view comes back with its map in the same answer: a drill click costs one
    round trip, not a state answer and then a map request (Dash waited 40–300 ms between
    them in Chromium).
    """
    # the tab title in the page's language (Dash serves one static <title> for all)
    app.clientside_callback(
        _TITLE, Output(ids.PAGE_TITLE, "clear_data"), Input(ids.PAGE_TITLE, "data")
    )

    @app.callback(
        Output(ids.STATE, "data"),
        Output(ids.URL, "search"),
        Output(ids.YEAR, "value"),
        Output(ids.INDICATOR, "value"),
        Output(ids.LAYERS, "value"),
        Output(ids.MAP, "clickData"),
        Output(ids.RANKING, "active_cell"),
        Output(ids.MAP_VIEW, "data"),
        Output(ids.COMPARE, "value"),
        Output(ids.MAP, "figure", allow_duplicate=True),
        Output(ids.MAP_KEY, "data", allow_duplicate=True),
        Output(ids.NOTICE, "children", allow_duplicate=True),
        Input(ids.URL, "search"),
        Input(ids.MAP, "clickData"),
        Input(ids.YEAR, "value"),
        Input(ids.INDICATOR, "value"),
        Input(ids.LAYERS, "value"),
        Input(ids.RANKING, "active_cell"),
        Input(ids.MAP, "relayoutData"),
        Input(ids.COMPARE, "value"),
        State(ids.STATE, "data"),
        State(ids.MAP_VIEW, "data"),
        State(ids.VIEWPORT, "data"),
        State(ids.MAP_KEY, "data"),
        prevent_initial_call="initial_duplicate",
    )
    def update_state(
        search,
        click,
        year,
        indicator,
        layers,
        active_cell,
        relayout,
        compare,
        data,
        map_view,
        viewport,
        rendered,
    ):
        stored = ViewState.from_dict(data)
        current = stored.but(view=map_view or None)  # the map as the user left it
        trigger = ctx.triggered_id
        if "map.relayoutData" in ctx.triggered_prop_ids:
            # the user moved the map: only the link changes (nothing to recompute)
            moved = view_from_relayout(relayout)
            if moved is None or moved == current.view:
                raise PreventUpdate
            return (
                no_update,
                current.but(view=moved).query(),
                *[no_update] * 5,
                moved,
                *[no_update] * 4,
            )
        row_id = (active_cell or {}).get("row_id")
        new, problems = resolve(
            trigger,
            current,
            context.access(),
            indicators=context.indicators,
            search=search,
            click=click,
            year=year,
            indicator=indicator,
            layers=layers,
            row_id=row_id,
            compare=compare,
        )
        if problems:
            set_props(
                ids.ERROR,
                {"children": f"{t('bad_link', new.lang)}: {'; '.join(problems)}", "hidden": False},
            )
        elif trigger is not None and new != current:
            set_props(ids.ERROR, {"hidden": True})
        from_url = trigger in (None, ids.URL)
        changed = new.but(view=None) != stored.but(view=None) or (from_url and new != stored)
        drawn = (
            map_update(context, new, urls=urls(), viewport=viewport, rendered=rendered)
            if changed
            else (no_update,) * 3
        )
        return (
            new.to_dict() if changed else no_update,
            new.query() if (new != current and not from_url) or problems else no_update,
            new.year if new.year != year else no_update,
            new.indicator if new.indicator != indicator else no_update,
            list(new.layers) if list(new.layers) != list(layers or []) else no_update,
            None if trigger == ids.MAP else no_update,
            None if trigger == ids.RANKING else no_update,
            new.view if new.view != current.view else no_update,
            _compare_value(new) if _compare_value(new) != compare else no_update,
            *drawn,
        )
