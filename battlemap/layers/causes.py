"""Cause breakdown bars: poor persons by primary cause (致贫原因), largest first."""

from __future__ import annotations

from collections.abc import Mapping

from battlemap.geodata.schema import CAUSES
from battlemap.i18n import t
from battlemap.layers.base import Figure, chart_layout, count_axis, message_figure

__all__ = ["CAUSE_NAMES_EN", "cause_bars", "cause_label"]

CAUSE_NAMES_EN: dict[str, str] = {
    "因病": "Illness",
    "因残": "Disability",
    "因学": "School costs",
    "因灾": "Disaster",
    "缺土地": "No land",
    "缺水": "No water",
    "缺技术": "No skills",
    "缺劳动力": "No labour",
    "缺资金": "No capital",
    "交通条件落后": "Poor transport",
    "自身发展动力不足": "Low motivation",
    "其他": "Other",
}


def cause_label(cause: str, lang: str = "zh") -> str:
    """The cause name in the UI language (Chinese name itself for ``zh``)."""
    return CAUSE_NAMES_EN.get(cause, cause) if lang == "en" else cause


def cause_bars(
    causes: Mapping[str, int], *, lang: str = "zh", selected: str | None = None
) -> Figure:
    """Horizontal bars of persons per cause with share labels; a message when all are zero.

    ``selected`` (the cause the view is filtered to) stays red, the other bars turn pale.
    """
    items = sorted(((c, int(v)) for c, v in causes.items() if v), key=lambda cv: cv[1])
    total = sum(v for _, v in items)
    if not total:
        return message_figure(t("no_data", lang))
    persons = t("persons_unit", lang)
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": [cause_label(c, lang) for c, _ in items],
                "x": [v for _, v in items],
                # the cause's number (1 = CAUSES[0]) a click filters to
                "customdata": [CAUSES.index(c) + 1 if c in CAUSES else None for c, _ in items],
                "text": [f"{v / total:.0%}" for _, v in items],
                "textposition": "auto",
                "cliponaxis": False,
                "marker": {
                    "color": ["#c0392b" if selected in (None, c) else "#e6b0aa" for c, _ in items]
                },
                "hovertemplate": "%{y}: %{x:,} " + persons + "<extra></extra>",
            }
        ],
        "layout": chart_layout(
            height=max(160, 24 * len(items) + 40),
            margin={"l": 8, "r": 16, "t": 4, "b": 24},
            xaxis={
                "title": {"text": t("persons", lang)},
                "gridcolor": "#e5e5e5",
                "automargin": True,
                **count_axis(items[-1][1], lang),
            },
            yaxis={"automargin": True},
        ),
    }
