"""Radar of the guarantees met (两不愁三保障 + income), region vs its parent, in percent."""

from __future__ import annotations

from collections.abc import Mapping

from battlemap.i18n import t
from battlemap.layers.base import Figure, chart_layout, message_figure

__all__ = ["DIMENSION_LABELS", "radar_figure"]

DIMENSION_LABELS: dict[str, tuple[str, str]] = {
    "income": ("收入达标", "Income"),
    "housing": ("住房安全", "Safe housing"),
    "education": ("义务教育", "Schooling"),
    "medical": ("基本医疗", "Medical insurance"),
    "pension": ("养老保险", "Pension"),
    "water": ("饮水安全", "Safe water"),
    "electricity": ("生活用电", "Electricity"),
}


def _label(key: str, lang: str) -> str:
    """The axis name, a long one on two lines: beside the circle of a 390 px phone's chart
    there is room for about 8 Latin letters ("Medical insurance" was cut at the edge)."""
    pair = DIMENSION_LABELS.get(key, (key, key))
    label = pair[1] if lang == "en" else pair[0]
    if len(label) <= 12 or " " not in label:
        return label
    middle = len(label) / 2
    cut = min((i for i, c in enumerate(label) if c == " "), key=lambda i: abs(i - middle))
    return label[:cut] + "<br>" + label[cut + 1 :]


def radar_figure(
    region: Mapping[str, float | None] | None,
    parent: Mapping[str, float | None] | None = None,
    *,
    region_name: str = "",
    parent_name: str = "",
    lang: str = "zh",
    selected: str | None = None,
) -> Figure:
    """Share (%) of registered households meeting each dimension; message when no data.

    ``selected`` (the guarantee the view is filtered to) gets a large marker on its axis.
    """
    if not region or all(v is None for v in region.values()):
        return message_figure(t("no_data", lang))
    keys = list(region)
    theta = [_label(k, lang) for k in keys] + [_label(keys[0], lang)]

    def trace(values: Mapping[str, float | None], name: str, colour: str, dash: str) -> dict:
        r = [values.get(k) for k in keys]
        return {
            "type": "scatterpolar",
            "r": [*r, r[0]],
            "theta": theta,
            "customdata": [*keys, keys[0]],  # the dimension a click filters to
            "name": name,
            "mode": "lines+markers",
            "line": {"color": colour, "dash": dash},
            "marker": {"size": [12 if k == selected else 6 for k in [*keys, keys[0]]]},
            "fill": "toself" if dash == "solid" else "none",
            "opacity": 0.8,
            "hovertemplate": "%{theta}: %{r:.1f}%<extra>" + name + "</extra>",
        }

    data = [trace(region, region_name or t("region", lang), "#c0392b", "solid")]
    if parent:
        data.append(trace(parent, parent_name or t("parent", lang), "#7f8c8d", "dash"))
    return {
        "data": data,
        "layout": chart_layout(
            height=300,
            showlegend=True,
            legend={"orientation": "h", "x": 0, "y": -0.08, "font": {"size": 11}},
            margin={"l": 40, "r": 40, "t": 20, "b": 20},
            polar={
                "radialaxis": {
                    "range": [0, 100],
                    "ticksuffix": "%",
                    "angle": 180 / len(keys),
                    "tickangle": 180 / len(keys),
                    "tickvals": [25, 50, 75, 100],
                    "tickfont": {"size": 9},
                },
                "angularaxis": {"tickfont": {"size": 11}},
                "bgcolor": "rgba(0,0,0,0)",
            },
        ),
    }
