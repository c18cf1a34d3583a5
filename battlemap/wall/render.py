"""A frame as the outputs of the wall's one server callback (by component id)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from dash import html

from battlemap.layers.kpi import Tile
from battlemap.wall.frame import DECK, Frame, TableView
from battlemap.wall.layout import BLANK, ID, MAX_STOPS_SHOWN
from battlemap.wall.text import wt
from battlemap.wall.tour import Stop

__all__ = ["OUTPUT_IDS", "as_of_text", "frame_outputs", "heartbeat"]

# (component id, property) of every output, in callback order
OUTPUT_IDS: tuple[tuple[str, str], ...] = (
    (ID.MAP, "figure"),
    (ID.KPIS, "children"),
    (ID.REGION, "children"),
    (ID.REASON, "children"),
    (ID.YEAR, "children"),
    (ID.AS_OF, "children"),
    (ID.CHART_TITLE, "children"),
    (ID.CHART, "figure"),
    (ID.CHART_WRAP, "hidden"),
    (ID.DECK, "src"),
    (ID.DECK, "hidden"),
    (ID.TABLE_TITLE, "children"),
    (ID.TABLE, "children"),
    (ID.TABLE_NOTE, "children"),
    (ID.TOUR, "children"),
    (ID.HEARTBEAT, "children"),
)


def heartbeat(ok: bool, region: str = "", index: int = 0, count: int = 0, step: int = 0) -> str:
    """``ok|<ms>|<region>|<i>/<n>|<step>`` or ``fail|<ms>``: read by wall.js (stale badge)
    and by tests and the benchmark (which stop and which tour step is on screen)."""
    now = int(time.time() * 1000)
    return f"ok|{now}|{region}|{index}/{count}|{step}" if ok else f"fail|{now}"


def _tile(tile: Tile) -> html.Div:
    tone = "" if tile.good is None else (" good" if tile.good else " bad")
    return html.Div(
        className=f"bm-wall-tile{tone}",
        id=f"wall-kpi-{tile.key}",
        children=[
            html.Div(tile.label, className="bm-wall-tile-label"),
            html.Div(tile.value, className="bm-wall-tile-value"),
            html.Div(tile.delta or "\u00a0", className="bm-wall-tile-delta"),
        ],
    )


def _table(table: TableView) -> html.Table:
    return html.Table(
        className="bm-wall-table",
        children=[
            html.Thead(html.Tr([html.Th(h) for h in table.headers])),
            html.Tbody([html.Tr([html.Td(c) for c in row]) for row in table.rows]),
        ],
    )


def _tour(stops: list[Stop], index: int, names: dict[str, str]) -> list[html.Span]:
    """The stops around the current one (at most MAX_STOPS_SHOWN), current highlighted."""
    count = len(stops)
    if count <= MAX_STOPS_SHOWN:
        window = range(count)
    else:
        start = max(0, min(index - 2, count - MAX_STOPS_SHOWN))
        window = range(start, start + MAX_STOPS_SHOWN)
    return [
        html.Span(
            names.get(stops[i].region, stops[i].region)
            + (
                f" {stops[i].year}"
                if stops[i].reason in ("home", "listed")
                and i > 0
                and stops[i - 1].region == stops[i].region
                else ""
            ),
            className="bm-wall-stop current" if i == index else "bm-wall-stop",
        )
        for i in window
    ]


def as_of_text(when: datetime | None, lang: str) -> str:
    """``数据截至 2026-12-04 22:07`` (the data version's time), or "" when unknown."""
    return wt("as_of", lang, time=when.strftime("%Y-%m-%d %H:%M")) if when else ""


def frame_outputs(
    frame: Frame,
    stops: list[Stop],
    index: int,
    names: dict[str, str],
    *,
    as_of: str,
    lang: str,
    deck: str = BLANK,
    step: int = 0,
) -> dict[str, Any]:
    """The outputs of ``frame`` by component id (the deck panel's by (id, property)), with
    ``deck`` the 3D panel frame's URL (its view when the frame's chart is the 3D panel, else
    the idle page: wall/deck.py); ``step`` the tour step it shows."""
    table = frame.table
    shows_deck = frame.chart_key == DECK
    return {
        ID.MAP: frame.map,
        ID.KPIS: [_tile(t) for t in frame.tiles],
        ID.REGION: f"{frame.name} · {frame.level}",
        ID.REASON: frame.reason,
        ID.YEAR: wt("wall_year", lang, year=frame.year),
        ID.AS_OF: as_of,
        ID.CHART_TITLE: frame.chart_title,
        ID.CHART: frame.chart,
        ID.CHART_WRAP: shows_deck,
        ID.DECK: deck,
        (ID.DECK, "hidden"): not shows_deck,
        ID.TABLE_TITLE: table.title,
        ID.TABLE: _table(table),
        ID.TABLE_NOTE: table.note,
        ID.TOUR: _tour(stops, index, names),
        ID.HEARTBEAT: heartbeat(True, frame.region, index, len(stops), step),
    }
