"""Projects on the map and the funds chart: data in, plotly traces and figures out.

Projects are points coloured by their status in the year shown (colour-blind-safe
Okabe–Ito colours), sized by budget (area ∝ budget), the type in the hover; in a province
or city view, or where more than :data:`MAX_PROJECT_POINTS` are in view, they are binned
into H3 cells (one bubble per cell, sized by the number of projects) so the view stays light.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import h3
import numpy as np
import pandas as pd

from battlemap.geodata.funds_schema import PROJECT_STATUSES
from battlemap.i18n import t
from battlemap.layers.base import Figure, chart_layout, message_figure
from battlemap.layers.kpi import Tile

__all__ = [
    "MAX_PROJECT_POINTS",
    "STATUS_COLOURS",
    "anomaly_tile",
    "funds_figure",
    "project_cells",
    "project_traces",
]

MAX_PROJECT_POINTS = 3000
HEX_RESOLUTION = 5  # ~250 km² cells: a province of projects in a few hundred bubbles
STATUS_COLOURS: dict[str, str] = {
    "计划": "#999999",
    "在建": "#E69F00",
    "完工": "#56B4E9",
    "验收": "#009E73",
    "终止": "#D55E00",
}


def _sizes(budget: np.ndarray) -> list[float]:
    """Marker diameters 5–22 px, area proportional to budget (capped at the 99th pct)."""
    if not len(budget):
        return []
    top = max(float(np.percentile(budget, 99)), 1.0)
    return np.round(5 + 17 * np.sqrt(np.clip(budget, 0, top) / top), 1).tolist()


def project_traces(frame: pd.DataFrame, *, lang: str = "zh") -> list[dict[str, Any]]:
    """One ``scattermap`` trace per status (frame: project rows with ``status_then``)."""
    traces = []
    budget_label, paid_label = t("projects_budget", lang), t("projects_paid", lang)
    wan = t("funds_wan_yuan", lang)
    for status in PROJECT_STATUSES:
        rows = frame[frame.status_then == status]
        if rows.empty:
            continue
        custom = [
            [name, kind, f"{b / 1e4:,.1f}", f"{p / 1e4:,.1f}"]
            for name, kind, b, p in zip(
                rows["name"], rows["type"], rows["budget"], rows["paid"], strict=True
            )
        ]
        traces.append(
            {
                "type": "scattermap",
                "lon": np.round(rows.lon.to_numpy(float), 5).tolist(),
                "lat": np.round(rows.lat.to_numpy(float), 5).tolist(),
                "mode": "markers",
                "marker": {
                    "size": _sizes(rows.budget.to_numpy(float)),
                    "color": STATUS_COLOURS[status],
                    "opacity": 0.85,
                },
                "customdata": custom,
                "hovertemplate": "%{customdata[0]}<br>%{customdata[1]} · "
                + f"{budget_label} %{{customdata[2]}} {wan} · {paid_label} %{{customdata[3]}} {wan}"
                + "<extra></extra>",
                "name": f"{t('layer_projects', lang)} · {t('status_' + status, lang)}",
                "legendgroup": "projects",
                "meta": "projects",
                "showlegend": True,
            }
        )
    return traces


def project_cells(frame: pd.DataFrame, resolution: int = HEX_RESOLUTION) -> pd.DataFrame:
    """Projects per H3 cell: cell, lon, lat (centre), projects, budget."""
    cells = [
        h3.latlng_to_cell(lat, lon, resolution)
        for lat, lon in zip(frame.lat.to_numpy(float), frame.lon.to_numpy(float), strict=True)
    ]
    grouped = (
        pd.DataFrame({"cell": cells, "budget": frame.budget.to_numpy(float)})
        .groupby("cell", sort=True)
        .agg(projects=("budget", "size"), budget=("budget", "sum"))
        .reset_index()
    )
    centres = [h3.cell_to_latlng(c) for c in grouped.cell]
    return grouped.assign(
        lat=[round(c[0], 5) for c in centres], lon=[round(c[1], 5) for c in centres]
    )


def project_cell_trace(cells: pd.DataFrame, *, lang: str = "zh") -> dict[str, Any]:
    """One bubble per H3 cell, area ∝ number of projects (dense views)."""
    top = max(int(cells.projects.max()) if len(cells) else 1, 1)
    wan = t("funds_wan_yuan", lang)
    return {
        "type": "scattermap",
        "lon": cells.lon.tolist(),
        "lat": cells.lat.tolist(),
        "mode": "markers",
        "marker": {
            "size": np.round(6 + 20 * np.sqrt(cells.projects.to_numpy(float) / top), 1).tolist(),
            "color": "#0072B2",
            "opacity": 0.6,
        },
        "customdata": [
            [int(n), f"{b / 1e4:,.0f}"] for n, b in zip(cells.projects, cells.budget, strict=True)
        ],
        "hovertemplate": f"{t('projects_cells', lang)} %{{customdata[0]}} · "
        f"{t('projects_budget', lang)} %{{customdata[1]}} {wan}<extra>H3</extra>",
        "name": t("layer_projects", lang),
        "meta": "projects",
        "showlegend": True,
    }


def project_layer(
    frame: pd.DataFrame, *, lang: str = "zh", binned: bool = False
) -> list[dict[str, Any]]:
    """Points by status, or H3 bubbles when ``binned`` (a province or city view) or more
    than MAX_PROJECT_POINTS are in view."""
    if binned or len(frame) > MAX_PROJECT_POINTS:
        return [project_cell_trace(project_cells(frame), lang=lang)]
    return project_traces(frame, lang=lang)


def funds_figure(by_source: Mapping[str, Mapping[str, Any]], *, lang: str = "zh") -> Figure:
    """Allocated vs paid by source (万元), two bar series."""
    names = list(by_source)
    allocated = [by_source[n]["allocated"] / 1e4 for n in names]
    paid = [by_source[n]["paid"] / 1e4 for n in names]
    if not any(allocated) and not any(paid):
        return message_figure(t("funds_no_data", lang))
    labels = [t(f"source_{n}", lang) for n in names]
    wan = t("funds_wan_yuan", lang)
    layout = chart_layout(height=240, margin={"l": 48, "r": 8, "t": 36, "b": 32})
    layout.update(
        barmode="group",
        showlegend=True,
        legend={"orientation": "h", "y": 1.02, "x": 0, "yanchor": "bottom"},
        # 30,000 万元, never an SI "30k" (k of 万 reads as nonsense in either language)
        yaxis={
            "title": {"text": wan},
            "rangemode": "tozero",
            "tickformat": ",.10~g",
            "automargin": True,
        },
    )
    return {
        "data": [
            {
                "type": "bar",
                "x": labels,
                "y": allocated,
                "name": t("funds_allocated", lang),
                "marker": {"color": "#56B4E9"},
                "hovertemplate": f"%{{y:,.1f}} {wan}<extra></extra>",
            },
            {
                "type": "bar",
                "x": labels,
                "y": paid,
                "name": t("funds_paid", lang),
                "marker": {"color": "#009E73"},
                "hovertemplate": f"%{{y:,.1f}} {wan}<extra></extra>",
            },
        ],
        "layout": layout,
    }


def anomaly_tile(now: int, before: int | None, *, lang: str = "zh") -> Tile:
    """The KPI warning tile of fund anomalies (资金异常), vs last year (fewer is good)."""
    if before is None:
        delta, good = "", None
    elif now == before:
        delta, good = f"{t('vs_last_year', lang)} 0", None
    else:
        arrow = "▲" if now > before else "▼"
        delta, good = f"{t('vs_last_year', lang)} {arrow}{abs(now - before):,}", now < before
    return Tile("kpi_fund_anomalies", t("kpi_fund_anomalies", lang), f"{now:,}", delta, good)
