"""The region-year summary printed by ``battlemap stats`` and shown by the app."""

from __future__ import annotations

from typing import Any

from battlemap.geodata.codes import LEVEL_NAMES
from battlemap.geodata.store import Store
from battlemap.indicators.incidence import cause_breakdown, exit_progress_pct, incidence_pct

__all__ = ["region_summary"]


def region_summary(store: Store, code: str | int, year: int) -> dict[str, Any]:
    """Indicators for one region and year plus each child's incidence."""
    info = store.region(code)
    counts = store.counts(info.code, year)
    children = store.children_counts(info.code, year)
    return {
        "code": info.code,
        "name": info.name,
        "level": LEVEL_NAMES[info.level],
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
        "children": {c: incidence_pct(v) for c, v in children.items()},
    }
