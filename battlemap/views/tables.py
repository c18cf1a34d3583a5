"""Table panels of a view: ranking of the children, exit checks with reasons, households
(names masked as the scope says)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from battlemap.geodata.access import ScopedStore
from battlemap.geodata.schema import CAUSES, HH_TYPES
from battlemap.i18n import t
from battlemap.indicators.exit_checks import COUNTY_STANDARD, VILLAGE_STANDARD
from battlemap.indicators.filters import Filter, parse_filter
from battlemap.layers.exitchecks import exit_check_columns, exit_check_rows
from battlemap.layers.households import household_rows
from battlemap.layers.panelfigures import table_figure
from battlemap.layers.radar import DIMENSION_LABELS
from battlemap.layers.ranking import ranking_columns, ranking_rows
from battlemap.views.filtered import filtered_loader
from battlemap.views.panel import HouseholdLoader, PanelView
from battlemap.views.summary import summary_of
from battlemap.views.values import shown_values, unit_values_for
from battlemap.viewstate import ViewState

__all__ = [
    "HOUSEHOLD_COLUMNS_SHOWN",
    "exit_check_panel",
    "exit_check_view",
    "household_panel",
    "household_view",
    "ranking_panel",
    "ranking_view",
]

Summary = Mapping[str, Any]

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
    from battlemap.views.cadres import add_cadre_columns  # issue 15: helper, last visit

    columns = add_cadre_columns(access, state, rows, columns)
    flt = parse_filter(state.filter)
    note = ""
    if flt is not None and flt.kind == "guarantee":  # the rows are the gaps: say so
        pair = DIMENSION_LABELS.get(flt.value, (flt.value, flt.value))
        name = pair[1 if state.lang == "en" else 0]
        note = t("filter_not_met", state.lang).format(name=name, count=len(rows))
    return rows, columns, note


def ranking_panel(access: ScopedStore, state: ViewState) -> PanelView:
    """The children ranked by what the map shows (a village: its township's villages)."""
    rows, columns = ranking_view(access, state)
    return PanelView(
        panel="ranking",
        title=t("ranking", state.lang),
        figure=table_figure(rows, columns),
        rows=rows,
        columns=columns,
    )


def exit_check_panel(
    access: ScopedStore, state: ViewState, *, summary: Summary | None = None
) -> PanelView:
    """The region's exit checks (贫困县摘帽 / 贫困村出列) with every failing reason."""
    summary = summary or summary_of(access, state)
    rows, columns, note = exit_check_view(summary, state.lang)
    return PanelView(
        panel="exit_checks",
        title=t("exit_checks", state.lang),
        figure=table_figure(rows, columns),
        rows=rows,
        columns=columns,
        note=note,
        data={
            "standard": summary.get("exit_standard"),
            "status": summary.get("exit_status"),
            "reasons": list(summary.get("exit_reasons") or []),
            "checks": list(summary.get("exit_checks") or []),
        },
    )


def household_panel(
    access: ScopedStore, state: ViewState, *, households: HouseholdLoader | None = None
) -> PanelView:
    """Households of a village under the view's filter, names masked unless the scope may
    see them; none (with a note) for a scope without household rights or above a village."""
    rows, columns, note = household_view(access, state, households)
    key = "household_table_named" if access.scope.pii else "household_table"
    return PanelView(
        panel="households",
        title=t(key, state.lang),
        figure=table_figure(rows, columns),
        rows=rows,
        columns=columns,
        note=note,
    )
