"""Figures of panels the page shows as HTML (KPI tiles, tables, warnings), for pictures:
exports, the wall screen and the brief draw them with plotly like every chart."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from battlemap.i18n import t
from battlemap.layers.base import Figure, chart_layout, count_axis, message_figure
from battlemap.layers.kpi import Tile

__all__ = ["kpi_figure", "table_figure", "warnings_figure"]

_GOOD, _BAD, _PLAIN = "#1e8449", "#c0392b", "#555555"


def kpi_figure(tiles: Sequence[Tile]) -> Figure:
    """The KPI tiles side by side: label, value and the change vs last year (green when
    good news, red when bad), as annotations so the text is exactly the page's."""
    n = max(len(tiles), 1)
    annotations: list[dict[str, Any]] = []
    for i, tile in enumerate(tiles):
        x = (i + 0.5) / n
        colour = _PLAIN if tile.good is None else (_GOOD if tile.good else _BAD)
        for y, text, size, col in (
            (0.85, tile.label, 14, _PLAIN),
            (0.5, f"<b>{tile.value}</b>", 26, "#222222"),
            (0.15, tile.delta, 12, colour),
        ):
            annotations.append(
                {
                    "text": text,
                    "x": x,
                    "y": y,
                    "xref": "paper",
                    "yref": "paper",
                    "showarrow": False,
                    "font": {"size": size, "color": col},
                }
            )
    layout = chart_layout(height=140, margin={"l": 8, "r": 8, "t": 8, "b": 8})
    layout.update(
        annotations=annotations,
        xaxis={"visible": False},
        yaxis={"visible": False},
    )
    return {"data": [], "layout": layout}


def warnings_figure(households: Mapping[str, int], *, lang: str = "zh") -> Figure:
    """Bars of households per early-warning category (``households``: label → count)."""
    items = list(households.items())
    if not any(v for _, v in items):
        return message_figure(t("no_data", lang))
    top = max(v for _, v in items)
    return {
        "data": [
            {
                "type": "bar",
                "x": [k for k, _ in items],
                "y": [v for _, v in items],
                "text": [f"{v:,}" for _, v in items],
                "textposition": "auto",
                "marker": {"color": ["#e67e22", "#f1c40f", "#c0392b"][: len(items)]},
                "hovertemplate": "%{x}: %{y:,}<extra></extra>",
            }
        ],
        "layout": chart_layout(
            height=260,
            margin={"l": 8, "r": 16, "t": 8, "b": 24},
            yaxis={
                "title": {"text": t("households_unit", lang)},
                "automargin": True,
                **count_axis(top, lang),
            },
            xaxis={"automargin": True},
        ),
    }


def table_figure(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[Mapping[str, Any]], *, max_rows: int = 40
) -> Figure:
    """A plotly table of the panel's rows (the first ``max_rows``), headers as on the page."""
    shown = list(rows)[:max_rows]
    keys = [c["id"] for c in columns]
    cells = [["" if r.get(k) is None else r.get(k) for r in shown] for k in keys]
    return {
        "data": [
            {
                "type": "table",
                "header": {
                    "values": [f"<b>{c['name']}</b>" for c in columns],
                    "fill": {"color": "#f2f2f2"},
                    "align": "left",
                },
                "cells": {"values": cells, "align": "left", "height": 24},
            }
        ],
        "layout": chart_layout(
            height=60 + 24 * max(len(shown), 1), margin={"l": 4, "r": 4, "t": 4, "b": 4}
        ),
    }
