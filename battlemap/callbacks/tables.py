"""Tables of the region in view: ranking of children, exit checks, households (masked)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dash import Dash, Input, Output

from battlemap import ids
from battlemap.callbacks.context import AppContext
from battlemap.callbacks.mapview import HouseholdLoader
from battlemap.geodata.access import ScopedStore
from battlemap.geodata.schema import CAUSES, HH_TYPES
from battlemap.i18n import t
from battlemap.indicators.exit_checks import COUNTY_STANDARD, VILLAGE_STANDARD
from battlemap.indicators.filters import Filter, parse_filter
from battlemap.layers.exitchecks import exit_check_columns, exit_check_rows
from battlemap.layers.households import household_rows
from battlemap.layers.radar import DIMENSION_LABELS
from battlemap.layers.ranking import ranking_columns, ranking_rows
from battlemap.views.filtered import filtered_loader
from battlemap.views.values import shown_values, unit_values_for
from battlemap.viewstate import ViewState

__all__ = ["exit_check_view", "household_view", "ranking_view", "register"]

HOUSEHOLD_COLUMNS_SHOWN = ("head_name", "size", "hh_type", "status", "primary_cause")
_HOUSEHOLD_HEADERS = {
    "head_name": "hh_head",
    "size": "hh_size",
    "hh_type": "hh_type",
    "status": "hh_status",
    "primary_cause": "hh_cause",
}

_STANDARDS = {VILLAGE_STANDARD: "standard_village", COUNTY_STANDARD: "standard_county"}
_UNFLAGGED = {"county": "no_checks_county", "village": "no_checks_village"}


def ranking_view(access: ScopedStore, state: ViewState) -> tuple[list, list]:
    """(rows, columns) ranking the children by what the map shows (indicator, cross-filter,
    change since the comparison year), with the rank change vs last year."""
    shown = shown_values(access, state, colour_range=False)
    children = access.children(state.region)
    parent = access.parent(state.region)
    if not children and parent is not None:
        # a village has no children: rank it among its township's villages instead
        return ranking_view(access, state.but(region=parent.code))
    if not children:
        return [], ranking_columns(shown.indicator, lang=state.lang)
    previous = None
    if state.compare is None and state.year != access.years[0]:
        last = access.years[access.years.index(state.year) - 1]
        previous = unit_values_for(access, state, last)[1]
    rows = ranking_rows(
        [c.code for c in children], [c.name for c in children], shown.values, previous
    )
    return rows, ranking_columns(shown.indicator, lang=state.lang)


def exit_check_view(summary: Mapping[str, Any], lang: str) -> tuple[list, list, str]:
    """(rows, columns, note) from ``region_summary``'s ``exit_checks`` and ``exit_standard``."""
    checks = summary.get("exit_checks")
    if not checks:
        # a county or village without poverty_flag: 摘帽/出列 do not apply to it
        unflagged = _UNFLAGGED.get(summary.get("level") or "")
        note = t(unflagged if unflagged and not summary.get("poverty_flag") else "no_checks", lang)
        return [], exit_check_columns(lang=lang), note
    standard = _STANDARDS.get(summary.get("exit_standard") or "", "")
    standard = t(standard, lang) if standard else summary.get("exit_standard") or ""
    status = summary.get("exit_status")
    verdict = {"pass": t("pass", lang), "fail": t("fail", lang)}.get(status or "", "")
    note = " · ".join(x for x in (standard, verdict) if x)
    return exit_check_rows(checks, lang=lang), exit_check_columns(lang=lang), note


def household_view(
    access: ScopedStore, state: ViewState, households: HouseholdLoader | None = None
) -> tuple[list, list, str]:
    """(rows, columns, note): households of a village, names masked by the access layer."""
    columns = [
        {"name": t(_HOUSEHOLD_HEADERS[c], state.lang), "id": c} for c in HOUSEHOLD_COLUMNS_SHOWN
    ]
    if not access.scope.households:
        access.region(state.region)  # the scope check still applies
        return [], columns, t("households_no_right", state.lang)
    if access.region(state.region).level < 5:
        return [], columns, t("table_village_only", state.lang)
    frame = filtered_loader(households or access.households, state)(state.region, state.year)
    rows = household_rows(frame, lang=state.lang)
    for row, cause, hh_type in zip(rows, frame["primary_cause"], frame["hh_type"], strict=True):
        # what a click on the row's cause or type filters to (the cells show translations)
        row["filter_primary_cause"] = Filter("cause", cause).token if cause in CAUSES else ""
        row["filter_hh_type"] = Filter("hh_type", hh_type).token if hh_type in HH_TYPES else ""
    flt = parse_filter(state.filter)
    note = ""
    if flt is not None and flt.kind == "guarantee":  # the rows are the gaps: say so
        pair = DIMENSION_LABELS.get(flt.value, (flt.value, flt.value))
        name = pair[1 if state.lang == "en" else 0]
        note = t("filter_not_met", state.lang).format(name=name, count=len(rows))
    return rows, columns, note


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
        access = context.access()
        return (
            *ranking_view(access, state),
            *exit_check_view(context.summary(state.region, state.year), state.lang),
            *household_view(access, state, context.households),
        )
