"""The wall page: a fixed grid filling the screen (header, KPI column, map, panels, tour).

Every element keeps its place for the life of the page; callbacks only change contents,
so the DOM does not grow while the tour runs for days.
"""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from battlemap.layers.base import graph_config
from battlemap.wall.config import WallConfig
from battlemap.wall.text import wt

__all__ = ["BLANK", "ID", "MAX_STOPS_SHOWN", "TILE_COUNT", "wall_page"]


class ID:
    """Component ids of the wall (prefixed so they never meet the page's)."""

    ROOT = "wall-root"
    CONFIG = "wall-config"
    STEP = "wall-step"
    VIEWPORT = "wall-viewport"
    TICK = "wall-tick"
    REFRESH = "wall-refresh"
    REGION = "wall-region"
    REASON = "wall-reason"
    YEAR = "wall-year"
    CLOCK = "wall-clock"
    AS_OF = "wall-asof"
    STALE = "wall-stale"
    PAUSED = "wall-paused"
    KPIS = "wall-kpis"
    MAP = "wall-map"
    CHART_TITLE = "wall-chart-title"
    CHART = "wall-chart"
    CHART_WRAP = "wall-chartwrap"
    DECK = "wall-deck"
    TABLE_TITLE = "wall-table-title"
    TABLE = "wall-table"
    TABLE_NOTE = "wall-table-note"
    TOUR = "wall-tour"
    HEARTBEAT = "wall-heartbeat"
    NOTICE = "wall-notice"


TILE_COUNT = 6
BLANK = "about:blank"  # the 3D panel's frame before the first frame arrives
MAX_STOPS_SHOWN = 6  # tour stops named in the footer strip (a window around the current)


def _graph(graph_id: str, figure: dict[str, Any] | None) -> dcc.Graph:
    return dcc.Graph(
        id=graph_id,
        figure=figure or {"data": [], "layout": {"paper_bgcolor": "rgba(0,0,0,0)"}},
        config=graph_config(
            displayModeBar=False,
            responsive=True,
            scrollZoom=False,
            doubleClick=False,
            showTips=False,
        ),
        className="bm-wall-graph",
    )


def wall_page(
    config: WallConfig,
    *,
    synthetic: bool,
    notice: str = "",
    initial: dict[str, Any] | None = None,
) -> html.Div:
    """The wall's layout for ``config``; ``initial`` holds the first frame's outputs
    (by id) so the first paint is complete, or None when the store could not answer."""
    lang = config.lang
    first = initial or {}
    header = html.Header(
        className="bm-wall-header",
        children=[
            html.Div(wt("wall_title", lang), className="bm-wall-title"),
            html.Div(
                className="bm-wall-where",
                children=[
                    html.Span(first.get(ID.REGION, ""), id=ID.REGION, className="bm-wall-region"),
                    html.Span(first.get(ID.REASON, ""), id=ID.REASON, className="bm-wall-reason"),
                ],
            ),
            html.Div(first.get(ID.YEAR, ""), id=ID.YEAR, className="bm-wall-year"),
            html.Div(
                className="bm-wall-status",
                children=[
                    html.Span("", id=ID.CLOCK, className="bm-wall-clock"),
                    html.Div(
                        className="bm-wall-meta",
                        children=[
                            html.Span(
                                first.get(ID.AS_OF, ""), id=ID.AS_OF, className="bm-wall-asof"
                            ),
                            html.Span(
                                wt("synthetic", lang),
                                className="bm-wall-synthetic",
                                hidden=not synthetic,
                            ),
                        ],
                    ),
                ],
            ),
        ],
    )
    tiles = html.Section(first.get(ID.KPIS, []), id=ID.KPIS, className="bm-wall-kpis")
    # the stale badge and the paused mark float over the map, where every eye is
    flags = html.Div(
        className="bm-wall-flags",
        children=[
            html.Span(
                "",
                id=ID.STALE,
                className="bm-wall-stale",
                hidden=True,
                **{"data-template": wt("stale", lang, time="{time}")},
            ),
            html.Span(wt("paused", lang), id=ID.PAUSED, className="bm-wall-paused", hidden=True),
        ],
    )
    centre = html.Section([_graph(ID.MAP, first.get(ID.MAP)), flags], className="bm-wall-mapbox")
    side = html.Section(
        className="bm-wall-side",
        children=[
            html.Div(
                className="bm-wall-panel bm-wall-chartpanel",
                children=[
                    html.H2(first.get(ID.CHART_TITLE, ""), id=ID.CHART_TITLE),
                    html.Div(
                        className="bm-wall-chartbox",
                        children=[
                            html.Div(
                                _graph(ID.CHART, first.get(ID.CHART)),
                                id=ID.CHART_WRAP,
                                className="bm-wall-chartwrap",
                                hidden=first.get(ID.CHART_WRAP, False),
                            ),
                            # the 3D panel: one deck.gl page for the wall's life (wall/deck.py),
                            # its view in the URL's fragment, none while another chart shows
                            html.Iframe(
                                id=ID.DECK,
                                src=first.get(ID.DECK, BLANK),
                                className="bm-wall-deck",
                                hidden=first.get((ID.DECK, "hidden"), True),
                                tabIndex="-1",
                            ),
                        ],
                    ),
                ],
            ),
            html.Div(
                className="bm-wall-panel bm-wall-tablepanel",
                children=[
                    html.H2(first.get(ID.TABLE_TITLE, ""), id=ID.TABLE_TITLE),
                    html.Div(first.get(ID.TABLE, []), id=ID.TABLE, className="bm-wall-tablebox"),
                    html.Div(
                        first.get(ID.TABLE_NOTE, ""), id=ID.TABLE_NOTE, className="bm-wall-note"
                    ),
                ],
            ),
        ],
    )
    footer = html.Footer(
        className="bm-wall-footer",
        children=[
            html.Div(first.get(ID.TOUR, []), id=ID.TOUR, className="bm-wall-tour"),
            html.Div(notice, id=ID.NOTICE, className="bm-wall-notice", hidden=not notice),
            html.Div(first.get(ID.HEARTBEAT, ""), id=ID.HEARTBEAT, hidden=True),
        ],
    )
    return html.Div(
        id=ID.ROOT,
        className="bm-wall",
        lang="en" if lang == "en" else "zh-CN",
        **{
            "data-interval": str(int(config.interval * 1000)),
            "data-resume": str(int(config.resume * 1000)),
            "data-refresh": str(int(config.refresh * 1000)),
        },
        children=[
            dcc.Store(id=ID.CONFIG, data=config.to_dict()),
            dcc.Store(id=ID.STEP, data=0),
            dcc.Store(id=ID.VIEWPORT, data=None),
            dcc.Interval(id=ID.TICK, interval=int(config.interval * 1000)),
            dcc.Interval(id=ID.REFRESH, interval=int(config.refresh * 1000)),
            header,
            html.Main(className="bm-wall-main", children=[tiles, centre, side]),
            footer,
        ],
    )
