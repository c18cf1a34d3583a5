"""Household points coloured by status or primary cause, and the household table rows.

Used only where points are few (a township or village); above that the map aggregates
(see :mod:`battlemap.layers.hexbins`). Names must already be masked by the access layer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from battlemap.geodata.schema import CAUSES, STATUS_EXITED, STATUS_POOR, STATUS_RETURNED
from battlemap.i18n import t
from battlemap.layers.base import CAUSE_COLOURS, STATUS_COLOURS

__all__ = [
    "MAX_POINTS", "STATUS_LABELS", "household_bubbles", "household_rows", "household_traces",
]

MAX_POINTS = 20_000
STATUS_LABELS: dict[str, tuple[str, str]] = {
    STATUS_POOR: ("未脱贫", "poor"),
    STATUS_RETURNED: ("返贫", "returned to poverty"),
    STATUS_EXITED: ("已脱贫", "exited"),
}
_HOVER = (
    "<b>%{customdata[1]}</b> · %{customdata[2]}<br>%{customdata[3]} · %{customdata[4]}"
    "<br>%{customdata[5]}<extra></extra>"
)


def _status_label(status: str, lang: str) -> str:
    pair = STATUS_LABELS.get(status, (status, status))
    return pair[1] if lang == "en" else pair[0]


def household_traces(
    frame: pd.DataFrame, *, colour_by: str = "status", lang: str = "zh"
) -> list[dict[str, Any]]:
    """One ``scattermap`` trace per status (or cause), poor households drawn last (on top).

    ``customdata`` ends with the village code, so a click on a household drills into its
    village.
    """
    if frame.empty:
        return []
    if colour_by == "cause":
        groups = [(c, CAUSE_COLOURS[i], c) for i, c in enumerate(CAUSES)]
        column = "primary_cause"
    else:
        groups = [(s, STATUS_COLOURS[s], _status_label(s, lang))
                  for s in (STATUS_EXITED, STATUS_RETURNED, STATUS_POOR)]
        column = "status"
    persons = t("persons_unit", lang)
    traces = []
    for value, colour, label in groups:
        part = frame[frame[column] == value]
        if part.empty:
            continue
        custom = [
            [hh, name or "", f"{size} {persons}", hh_type, cause, _status_label(status, lang),
             village]
            for hh, name, size, hh_type, cause, status, village in zip(
                part["hh_id"], part["head_name"], part["size"], part["hh_type"],
                part["primary_cause"], part["status"], part["village_code"], strict=True)
        ]
        traces.append({
            "type": "scattermap",
            "mode": "markers",
            "lon": part["lon"].round(6).tolist(),
            "lat": part["lat"].round(6).tolist(),
            "marker": {"size": 8, "color": colour, "opacity": 0.9},
            "customdata": custom,
            "hovertemplate": _HOVER,
            "name": f"{label} ({len(part)})",
            "meta": "households",
            "legendgroup": "households",
            "showlegend": True,
        })
    return traces


def household_bubbles(
    codes: Sequence[str],
    names: Sequence[str],
    lon: Sequence[float],
    lat: Sequence[float],
    poor_households: Sequence[int],
    *,
    lang: str = "zh",
) -> dict[str, Any]:
    """Households aggregated per unit where points would be too many: one circle per unit,
    area proportional to its poor households."""
    top = max([int(v) for v in poor_households] + [1])
    unit = t("households_unit", lang)
    label = t("kpi_remaining", lang)
    return {
        "type": "scattermap", "mode": "markers",
        "lon": list(lon), "lat": list(lat),
        "marker": {"size": [4 + 30 * math.sqrt(int(v) / top) for v in poor_households],
                   "color": STATUS_COLOURS["未脱贫"], "opacity": 0.55},
        "customdata": [[c, n, f"{int(v):,} {unit}"]
                       for c, n, v in zip(codes, names, poor_households, strict=True)],
        "hovertemplate": "<b>%{customdata[1]}</b><br>" + label
                         + ": %{customdata[2]}<extra></extra>",
        "name": label, "meta": "bubbles", "showlegend": True, "legendgroup": "households",
    }


def household_rows(frame: pd.DataFrame, *, lang: str = "zh") -> list[dict[str, Any]]:
    """Rows for the household table: masked name, size, type, status, main cause."""
    return [
        {"id": hh, "hh_id": hh, "head_name": name or "", "size": int(size), "hh_type": hh_type,
         "status": _status_label(status, lang), "primary_cause": cause}
        for hh, name, size, hh_type, status, cause in zip(
            frame["hh_id"], frame["head_name"], frame["size"], frame["hh_type"],
            frame["status"], frame["primary_cause"], strict=True)
    ]
