"""The region-year summary printed by ``battlemap stats`` and shown by the app (moved from
indicators/: it reads a store; the rules it applies stay pure in indicators/)."""

from __future__ import annotations

from typing import Any

from battlemap.geodata.access import ScopedStore
from battlemap.geodata.codes import LEVEL_NAMES
from battlemap.geodata.store import Store
from battlemap.indicators.causes import cause_table
from battlemap.indicators.exit_checks import wrong_exit_rate_pct
from battlemap.indicators.incidence import cause_breakdown, exit_progress_pct, incidence_pct
from battlemap.indicators.progress import exit_progress, exits_by_year
from battlemap.indicators.radar import radar_shares
from battlemap.indicators.warning import warning_counts
from battlemap.views.exit_report import assess_region
from battlemap.viewstate import ViewState

__all__ = ["region_summary", "scoped_summary", "summary_of"]


def region_summary(store: Store, code: str | int, year: int) -> dict[str, Any]:
    """Indicators for one region and year plus each child's incidence.

    Exit checks are those of the region's standard (贫困县摘帽 for a county, 贫困村出列 for a
    village; empty with ``exit_standard`` None at other levels). Radar shares are percent of
    registered households, for the region and its parent (None for a province).
    """
    info = store.region(code)
    stats = store.region_stats(info.code, year)  # one query on PostGIS
    counts, children, series, parent = stats.counts, stats.children, stats.series, stats.parent
    assessed = assess_region(store, info.code, year, stats=stats)
    progress = exit_progress(series, int(year), store.rules).as_dict()
    progress.pop("exits_by_year")
    return {
        "code": info.code,
        "name": info.name,
        "level": LEVEL_NAMES[info.level],
        "poverty_flag": info.poverty_flag,
        "year": int(year),
        "rural_population": counts["rural_population"],
        "poor_persons": counts["poor_persons"],
        "poor_households": counts["poor_households"],
        "incidence_pct": incidence_pct(counts),
        "registered_persons": counts["registered_persons"],
        "exited_persons": counts["exited_persons"],
        "exit_progress_pct": exit_progress_pct(counts),
        "returned_persons": counts["returned_persons"],
        "causes": cause_breakdown(counts),
        "causes_any": {row.name: row.any_persons for row in cause_table(counts)},
        "children": {c: incidence_pct(v) for c, v in children.items()},
        "exit_standard": assessed.standard if assessed else None,
        "exit_status": assessed.status if assessed else None,
        "exit_checks": [c.as_dict() for c in assessed.checks] if assessed else [],
        "exit_reasons": assessed.reasons if assessed else [],
        "wrong_exit_households": counts["wrong_exit_households"],
        "wrong_exit_persons": counts["wrong_exit_persons"],
        "wrong_exit_rate_pct": wrong_exit_rate_pct(counts),
        "passing_poor_households": counts["passing_poor_households"],
        "warning_households": warning_counts(counts),
        "warning_persons": warning_counts(counts, "persons"),
        "radar": radar_shares(counts),
        "radar_parent": radar_shares(parent) if parent is not None else None,
        "exits_by_year": {str(y): v for y, v in exits_by_year(series, int(year)).items()},
        "progress": progress,
    }


def scoped_summary(access: ScopedStore, code: str | int, year: int) -> dict[str, Any]:
    """``region_summary`` of a region the scope includes (OutOfScopeError otherwise)."""
    return region_summary(access.store, access.region(code).code, year)


def summary_of(access: ScopedStore, state: ViewState) -> dict[str, Any]:
    """``region_summary`` of the view's region and year (scope checked first)."""
    return scoped_summary(access, state.region, state.year)
