"""Household points coloured by status or primary cause, and the household table rows.

Used only where points are few (a township or village); above that the map aggregates
(see :mod:`battlemap.layers.hexbins`). Names must already be masked by the access layer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from battlemap.geodata.schema import CAUSES, STATUS_EXITED, STATUS_POOR, STATUS_RETURNED
from battlemap.i18n import hh_type_label, t
from battlemap.layers.base import (
    BUBBLE_COLOUR,
    CAUSE_COLOURS,
    OTHER_CAUSES_COLOUR,
    STATUS_COLOURS,
)
from battlemap.layers.causes import cause_label

__all__ = [
    "MAX_POINTS",
    "STATUS_LABELS",
    "household_bubbles",
    "household_rows",
    "household_traces",
]

MAX_POINTS = 20_000
STATUS_LABELS: dict[str, tuple[str, str]] = {
    STATUS_POOR: ("未脱贫", "poor"),
    STATUS_RETURNED: ("返贫", "returned to poverty"),
    STATUS_EXITED: ("已脱贫", "exited"),
}
_HOVER = "%{text}<extra></extra>"


def _status_label(status: str, lang: str) -> str:
    pair = STATUS_LABELS.get(status, (status, status))
    return pair[1] if lang == "en" else pair[0]


def household_traces(
    frame: pd.DataFrame, *, colour_by: str = "status", lang: str = "zh"
) -> list[dict[str, Any]]:
    """One ``scattermap`` trace per status (or cause), poor households drawn last (on top).

    By cause, the seven causes with most households in ``frame`` get a colour each and the
    rest share one grey group (twelve colours could not be told apart).

    ``text`` is the hover (masked name, size, type, cause, status); ``customdata`` is
    ``[hh_id, village_code]``, so a click on a household drills into its village.
    """
    if frame.empty:
        return []
    if colour_by == "cause":
        column = "primary_cause"
        counts = frame[column].value_counts()
        ranked = [c for c in counts.index if c in CAUSES]
        top = ranked[: len(CAUSE_COLOURS)]
        groups = [(c, CAUSE_COLOURS[i], cause_label(c, lang)) for i, c in enumerate(top)]
        rest = ranked[len(CAUSE_COLOURS) :]
        if rest:
            groups.insert(0, (tuple(rest), OTHER_CAUSES_COLOUR, t("other_causes", lang)))
    else:
        groups = [
            (s, STATUS_COLOURS[s], _status_label(s, lang))
            for s in (STATUS_EXITED, STATUS_RETURNED, STATUS_POOR)
        ]
        column = "status"
    persons = t("persons_unit", lang)
    cols = {
        c: frame[c].to_numpy()
        for c in (
            "hh_id",
            "head_name",
            "size",
            "hh_type",
            "primary_cause",
            "status",
            "village_code",
            "lon",
            "lat",
        )
    }
    keys = cols[column]
    size = 8 if len(frame) <= 300 else 6 if len(frame) <= 2000 else 4
    traces = [
        {  # a white halo under every point: visible on the darkest fill too
            "type": "scattermap",
            "mode": "markers",
            "lon": np.round(cols["lon"].astype(float), 6).tolist(),
            "lat": np.round(cols["lat"].astype(float), 6).tolist(),
            "marker": {"size": size + 3, "color": "#ffffff", "opacity": 0.9},
            "hoverinfo": "skip",
            "name": "halo",
            "meta": "households-halo",
            "showlegend": False,
        }
    ]
    for value, colour, label in groups:
        members = list(value) if isinstance(value, tuple) else [value]
        idx = np.flatnonzero(np.isin(keys, members))
        if not len(idx):
            continue
        text = [
            f"<b>{cols['head_name'][i] or ''}</b> · {cols['size'][i]} {persons}<br>"
            f"{hh_type_label(cols['hh_type'][i], lang)} · "
            f"{cause_label(cols['primary_cause'][i], lang)}<br>"
            f"{_status_label(cols['status'][i], lang)}"
            for i in idx.tolist()
        ]
        traces.append(
            {
                "type": "scattermap",
                "mode": "markers",
                "lon": np.round(cols["lon"][idx].astype(float), 6).tolist(),
                "lat": np.round(cols["lat"][idx].astype(float), 6).tolist(),
                "marker": {"size": size, "color": colour, "opacity": 0.9},
                "text": text,
                "customdata": [
                    [h, v]
                    for h, v in zip(
                        cols["hh_id"][idx].tolist(), cols["village_code"][idx].tolist(), strict=True
                    )
                ],
                "hovertemplate": _HOVER,
                "name": f"{label} ({len(idx)})",
                "meta": "households",
                "legendgroup": "households",
                "showlegend": True,
            }
        )
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
        "type": "scattermap",
        "mode": "markers",
        "lon": list(lon),
        "lat": list(lat),
        "marker": {
            # a unit without poor households gets no disc (size 0), not a small one
            "size": [4 + 30 * math.sqrt(int(v) / top) if v else 0 for v in poor_households],
            "color": BUBBLE_COLOUR,
            "opacity": 0.35,
        },
        "customdata": [
            [c, n, f"{int(v):,} {unit}"]
            for c, n, v in zip(codes, names, poor_households, strict=True)
        ],
        "hovertemplate": "<b>%{customdata[1]}</b><br>"
        + label
        + ": %{customdata[2]}<extra></extra>",
        "name": label,
        "meta": "bubbles",
        "showlegend": True,
        "legendgroup": "households",
    }


def household_rows(frame: pd.DataFrame, *, lang: str = "zh") -> list[dict[str, Any]]:
    """Rows for the household table: masked name, size, type, status, main cause."""
    return [
        {
            "id": hh,
            "hh_id": hh,
            "head_name": name or "",
            "size": int(size),
            "hh_type": hh_type_label(hh_type, lang),
            "status": _status_label(status, lang),
            "primary_cause": cause_label(cause, lang),
        }
        for hh, name, size, hh_type, status, cause in zip(
            frame["hh_id"],
            frame["head_name"],
            frame["size"],
            frame["hh_type"],
            frame["status"],
            frame["primary_cause"],
            strict=True,
        )
    ]
