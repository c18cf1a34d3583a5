"""One frame of the wall: everything on screen for one tour stop, from the views.

The numbers and figures come from :mod:`battlemap.views` (the page's panels, exports and
the wall cannot disagree); this module only picks which panels a stop shows, and dresses
the figures for the dark wall (:mod:`battlemap.wall.theme`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pandas as pd

from battlemap.geodata.access import ScopedStore
from battlemap.i18n import level_name
from battlemap.layers.flows import TOP_DESTINATIONS, flow_traces
from battlemap.layers.kpi import Tile
from battlemap.views.charts import causes_panel, radar_panel, trend_panel, warnings_panel
from battlemap.views.exit_status import exit_status, failing_panel, passing_tile
from battlemap.views.kpis import kpi_panel
from battlemap.views.mapview import MapUrls, map_panel
from battlemap.views.panel import PanelView
from battlemap.views.summary import scoped_summary
from battlemap.views.tables import exit_check_panel, ranking_panel
from battlemap.viewstate import ViewState
from battlemap.wall.config import WallConfig
from battlemap.wall.text import wt
from battlemap.wall.theme import dark_chart, dark_map, map_insets
from battlemap.wall.tour import Stop

__all__ = [
    "CHARTS",
    "DECK",
    "TABLES",
    "Frame",
    "TableView",
    "build_frame",
    "flow_layer",
    "wall_state",
]

CHARTS = ("causes", "trend", "warnings", "radar", "deck")  # the rotating chart panel
DECK = "deck"  # the 3D panel (battlemap/wall/deck.py: a frame, not a plotly chart)
TABLES = ("ranking", "exit")  # the rotating table panel
TABLE_ROWS = 8  # rows a table panel shows (the rest would not fit the screen)
# the page's tiles the wall shows, with the exit-check passing tile (six, or seven with the
# fund anomalies of a data set with funds: the column fits seven at most)
WALL_TILES = (
    "kpi_poor",
    "kpi_incidence",
    "kpi_exited",
    "kpi_remaining",
    "kpi_warnings",
    "kpi_fund_anomalies",
)
# the flows on the wall's map: the largest arcs of each kind (relocation, labour) only; the
# province's ~800 relocation arcs took 1-4 s a step to paint in software WebGL
WALL_FLOWS = 40
LEGEND_LINE = 6  # px: a flow kind's line in the map's legend


@dataclass(frozen=True)
class TableView:
    """A table panel as the wall shows it: header, rows of cell texts, a note."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    note: str = ""


@dataclass(frozen=True)
class Frame:
    """Everything the wall shows for one stop."""

    region: str
    name: str
    level: str
    reason: str
    year: int
    map: dict[str, Any]
    tiles: list[Tile]
    chart_key: str
    chart_title: str
    chart: dict[str, Any]
    table: TableView
    numbers: dict[str, Any] = field(default_factory=dict)  # the raw counts (tests, benchmark)


def wall_state(stop: Stop, config: WallConfig, level: int) -> ViewState:
    """The view a stop shows: its region and year, the configured indicator and names on
    the map (the flows are added by :func:`flow_layer`, the largest only)."""
    del level  # every level shows the same layers
    return ViewState(
        stop.region,
        stop.year,
        indicator=config.indicator,
        layers=("choropleth", "labels"),
        lang=config.lang,
    )


def _largest(frame: pd.DataFrame, limit: int) -> pd.DataFrame:
    return frame.sort_values("persons", ascending=False, kind="stable").head(limit)


def flow_layer(access: ScopedStore, state: ViewState, limit: int = WALL_FLOWS) -> list[dict]:
    """The flows of the region in view for its year, as the page's flow traces but only
    the ``limit`` largest arcs of each kind; [] when the region has no relocation or labour
    flows that year (a township before the first relocation, a village's labour)."""
    code, year = state.region, state.year
    moves = access.relocation_flows(code, year)
    labour = access.labour_flows(code, year)
    if moves.empty and labour.empty:
        return []
    shapes = access.unit_shapes(code)
    labour = labour[labour["origin_code"].isin(list(shapes.labels))]
    if not labour.empty:  # each origin's top destinations (as the page), then the largest
        labour = (
            labour.sort_values(["origin_code", "persons"], ascending=[True, False], kind="stable")
            .groupby("origin_code", sort=False)
            .head(TOP_DESTINATIONS)
        )
    names = dict(zip(shapes.codes, shapes.names, strict=True))
    return flow_traces(
        _largest(moves, limit),
        _largest(labour, limit),
        shapes.labels,
        names,
        lang=state.lang,
    )


def _with_flows(figure: dict[str, Any], flows: list[dict]) -> dict[str, Any]:
    """``figure`` with the flow traces under the names (above the fills), and the legend
    shown for their entries (the figure's own legend was decided without them: at the
    province, with no flagged borders, there was none)."""
    if not flows:
        return figure
    data = list(figure.get("data") or [])
    at = next(
        (i for i, t in enumerate(data) if t.get("meta") in ("labels", "labels-light")),
        len(data),
    )
    layout = dict(figure.get("layout") or {})
    keys = [t for t in flows if t.get("showlegend")]
    if keys:
        layout["showlegend"] = True
    # read from metres away: each kind's legend entry a wide, opaque line of its colour
    # (the arcs' own entry is the thinnest, faintest arc), in its own trace
    flows = [{**t, "showlegend": False} if t.get("showlegend") else t for t in flows]
    entries = [_legend_entry(t) for t in keys]
    return {**figure, "data": data[:at] + flows + data[at:] + entries, "layout": layout}


def _legend_entry(trace: dict[str, Any]) -> dict[str, Any]:
    """A flow kind's legend entry on the wall: one point (draws nothing), a wide line."""
    at = next(
        ((x, y) for x, y in zip(trace["lon"], trace["lat"], strict=True) if x is not None),
        (0.0, 0.0),
    )
    return {
        "type": "scattermap",
        "mode": "lines",
        "lon": [at[0]],
        "lat": [at[1]],
        "line": {"width": LEGEND_LINE, "color": trace["line"]["color"]},
        "hoverinfo": "skip",
        "name": trace["name"],
        "legendgroup": trace.get("legendgroup"),
        "meta": "flows-legend",
        "showlegend": True,
    }


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _table(view: PanelView, keys: list[str] | None = None) -> TableView:
    columns = [c for c in view.columns if keys is None or c["id"] in keys]
    rows = [[_cell(r.get(c["id"])) for c in columns] for r in view.rows[:TABLE_ROWS]]
    return TableView(view.title, [str(c["name"]) for c in columns], rows, view.note)


def _chart(access: ScopedStore, state: ViewState, key: str, summary: dict) -> PanelView:
    if key == "causes":
        return causes_panel(access, state, summary=summary)
    if key == "trend":
        return trend_panel(access, state)
    if key == "radar":
        return radar_panel(access, state, summary=summary)
    return warnings_panel(access, state)


def _exit_table(access: ScopedStore, state: ViewState, level: int, summary: dict) -> TableView:
    """Failing exit checks: of the flagged counties or villages under the region, or at a
    village, its own checks."""
    if level == 5:
        view = exit_check_panel(access, state, summary=summary)
        return _table(view)
    status = exit_status(access, state.region, state.year, lang=state.lang)
    return _table(failing_panel(status, lang=state.lang, limit=TABLE_ROWS))


def build_frame(
    access: ScopedStore,
    stop: Stop,
    config: WallConfig,
    *,
    step: int,
    urls: MapUrls,
    viewport: dict[str, Any] | None,
    summary: Callable[[str, int], dict[str, Any]] | None = None,
) -> Frame:
    """The frame of ``stop`` at tour ``step`` (which rotating panels show) for a screen
    of ``viewport`` (``w``, ``h``: the window; ``mw``, ``mh``: the map's box)."""
    info = access.region(stop.region)
    state = wall_state(stop, config, info.level)
    lang = config.lang
    height = (viewport or {}).get("h") or 1080
    map_height = (viewport or {}).get("mh") or 800
    map_port = {
        "w": (viewport or {}).get("mw") or 1000,
        "h": map_height,
        **map_insets(height, map_height),  # the region clear of the credit and colour bar
    }
    figure = map_panel(access, state, urls=urls, viewport=map_port).figure
    if config.flows:
        figure = _with_flows(figure, flow_layer(access, state))
    kpis = kpi_panel(access, state)
    years = access.years
    before = years[years.index(stop.year) - 1] if stop.year != years[0] else None
    status = exit_status(access, info.code, stop.year, lang=lang)
    previous = exit_status(access, info.code, before, lang=lang) if before else None
    shown = [t for t in kpis.data["tiles"] if t.key in WALL_TILES]  # others add tiles
    tiles = [*shown, passing_tile(status, previous, lang=lang)]
    region_summary = (summary or partial(scoped_summary, access))(info.code, stop.year)
    chart_key = CHARTS[step % len(CHARTS)]
    if chart_key == DECK:
        chart = PanelView(DECK, wt("panel_deck", lang), {"data": [], "layout": {}}, [], [], "", {})
    else:
        chart = _chart(access, state, chart_key, region_summary)
    table_key = TABLES[step % len(TABLES)]
    if table_key == "ranking":
        table = _table(ranking_panel(access, state))
        if not table.rows:
            table = _exit_table(access, state, info.level, region_summary)
    else:
        table = _exit_table(access, state, info.level, region_summary)
    return Frame(
        region=info.code,
        name=info.name,
        level=level_name(info.level, lang),
        reason=wt(f"reason_{stop.reason or 'listed'}", lang),
        year=stop.year,
        map=dark_map(figure, height),
        tiles=tiles,
        chart_key=chart_key,
        chart_title=chart.title,
        chart=dark_chart(chart.figure or {}, height),
        table=table,
        numbers={
            "counts": kpis.data["counts"],
            "passing": status.passing,
            "flagged": status.total,
        },
    )
