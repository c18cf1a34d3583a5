"""The tables an export holds, as pandas frames read through the caller's ScopedStore:
the children's indicators, the exit checks with their reasons, the household list (names
masked as on the page). csv/xlsx/gpkg/geojson and the HTML maps all use these."""

from __future__ import annotations

import pandas as pd

from battlemap.geodata.access import ScopedStore
from battlemap.geodata.codes import LEVEL_NAMES
from battlemap.geodata.errors import BattlemapError
from battlemap.indicators.incidence import exit_progress_pct, incidence_pct
from battlemap.layers.catalog import INDICATORS, warning_total
from battlemap.layers.households import STATUS_LABELS
from battlemap.views.exit_report import exit_report, report_columns, report_rows
from battlemap.views.filtered import filtered_loader
from battlemap.views.mapview import unit_values
from battlemap.views.panel import HouseholdLoader
from battlemap.views.values import shown_values
from battlemap.viewstate import ViewState

__all__ = [
    "COUNT_COLUMNS",
    "HOUSEHOLD_COLUMNS",
    "children_frame",
    "exit_check_frame",
    "household_frame",
]

# raw counts every indicator row carries (the numbers `battlemap stats` prints)
COUNT_COLUMNS = (
    "rural_population",
    "poor_persons",
    "poor_households",
    "registered_persons",
    "registered_households",
    "exited_persons",
    "returned_persons",
    "wrong_exit_households",
)
HOUSEHOLD_COLUMNS = (
    "hh_id",
    "village_code",
    "head_name",
    "size",
    "hh_type",
    "status",
    "primary_cause",
)


def children_frame(access: ScopedStore, state: ViewState) -> pd.DataFrame:
    """One row per map unit of the view (the children; a village: itself): code, name,
    level, poverty_flag, the raw counts, incidence_pct, exit_progress_pct, warnings, the
    relocated persons, and ``shown_value`` — what the map shows (indicator, filter, change)."""
    info = access.region(state.region)
    shapes = access.unit_shapes(info.code)
    if shapes.codes == (info.code,):
        counts = {info.code: access.counts(info.code, state.year)}
        flags = {info.code: info.poverty_flag}
        level = info.level
    else:
        counts = access.children_counts(info.code, state.year)
        flags = {c.code: c.poverty_flag for c in access.children(info.code)}
        level = info.level + 1
    relocated = unit_values(access, info.code, state.year, INDICATORS["relocations"])
    shown = shown_values(access, state, colour_range=False).values
    rows = []
    for code, name in zip(shapes.codes, shapes.names, strict=True):
        c = counts.get(code)
        row = {
            "code": code,
            "name": name,
            "level": LEVEL_NAMES[level],
            "poverty_flag": bool(flags.get(code, False)),
            "year": state.year,
        }
        for column in COUNT_COLUMNS:
            row[column] = None if c is None else int(c.get(column, 0) or 0)
        row["incidence_pct"] = None if c is None else incidence_pct(c)
        row["exit_progress_pct"] = None if c is None else exit_progress_pct(c)
        row["warning_households"] = None if c is None else warning_total(c)
        row["relocated_persons"] = relocated.get(code)
        row["shown_value"] = shown.get(code)
        rows.append(row)
    return pd.DataFrame(rows)


def exit_check_frame(access: ScopedStore, state: ViewState) -> pd.DataFrame:
    """Exit checks (贫困县摘帽 / 贫困村出列) of every flagged county or village under the
    view's region, each check's value, threshold and status, and the failing reasons."""
    info = access.region(state.region)
    report = exit_report(access.store, info.code, state.year)
    level = report[0].level if report else (3 if info.level < 3 else 5)
    rows = report_rows(report)
    return pd.DataFrame(rows, columns=report_columns(level))


def household_frame(
    access: ScopedStore, state: ViewState, households: HouseholdLoader | None = None
) -> pd.DataFrame:
    """The households of the view's region (a county or below) under its filter, names
    masked unless the scope may see them; MissingRightError without household rights."""
    info = access.require_households(state.region)
    if info.level < 3:
        raise BattlemapError(
            f"{info.name} ({info.code}): household lists are exported per county or below"
        )
    frame = filtered_loader(households or access.households, state)(info.code, state.year)
    out = frame.reindex(columns=list(HOUSEHOLD_COLUMNS)).copy()
    out["status"] = [STATUS_LABELS.get(s, (s, s))[0] for s in out["status"]]
    out["year"] = state.year
    return out.reset_index(drop=True)
