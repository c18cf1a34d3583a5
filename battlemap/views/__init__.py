"""What one view shows, panel by panel: ``(ScopedStore, ViewState) -> PanelView``.

The page's callbacks, the exports, the wall screen and the brief all call these functions,
so what they show cannot disagree. Every function reads through the caller's ScopedStore
(scope checked, names masked as the page masks them). See /work/notes/VIEWS.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from battlemap.geodata.access import ScopedStore
from battlemap.views.charts import causes_panel, radar_panel, trend_panel, warnings_panel
from battlemap.views.kpis import kpi_panel, region_title
from battlemap.views.mapview import MapUrls, build_map, inline_urls, map_panel
from battlemap.views.panel import HouseholdLoader, PanelView
from battlemap.views.tables import exit_check_panel, household_panel, ranking_panel
from battlemap.viewstate import ViewState

__all__ = [
    "PANELS",
    "HouseholdLoader",
    "MapUrls",
    "PanelView",
    "build_map",
    "causes_panel",
    "exit_check_panel",
    "household_panel",
    "inline_urls",
    "kpi_panel",
    "map_panel",
    "panel_view",
    "radar_panel",
    "ranking_panel",
    "region_title",
    "trend_panel",
    "warnings_panel",
]

PanelFunc = Callable[..., PanelView]

# panel name -> view function, in the page's order
PANELS: dict[str, PanelFunc] = {
    "map": map_panel,
    "kpis": kpi_panel,
    "causes": causes_panel,
    "trend": trend_panel,
    "radar": radar_panel,
    "ranking": ranking_panel,
    "exit_checks": exit_check_panel,
    "warnings": warnings_panel,
    "households": household_panel,
}


def panel_view(name: str, access: ScopedStore, state: ViewState, **options: Any) -> PanelView:
    """``PANELS[name](access, state, **options)``; KeyError names the unknown panel."""
    try:
        func = PANELS[name]
    except KeyError:
        raise KeyError(f"unknown panel {name!r} (one of {', '.join(PANELS)})") from None
    return func(access, state, **options)
