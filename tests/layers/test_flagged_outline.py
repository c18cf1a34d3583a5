"""The outline of poverty-flagged regions (贫困县/乡镇/村) on the choropleth (issue 16)."""

from __future__ import annotations

import plotly.graph_objects as go

from battlemap.layers.catalog import INDICATORS
from battlemap.layers.choropleth import (
    FLAG_LEGEND_META,
    FLAG_TRACE_META,
    VALUE_TRACE,
    choropleth_traces,
    flagged_legend_trace,
    flagged_outline_trace,
)

_GEO = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "id": code,
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[x, 26], [x + 1, 26], [x + 1, 27], [x, 27], [x, 26]]],
            },
        }
        for x, code in ((106, "a"), (107, "b"), (108, "c"))
    ],
}


def test_outline_covers_exactly_the_flagged_units() -> None:
    trace = flagged_outline_trace(_GEO, ["a", "b", "c"], [True, False, True])
    assert trace["locations"] == ["a", "c"]
    assert trace["meta"] == FLAG_TRACE_META
    assert trace["hoverinfo"] == "skip"  # hovers and clicks stay with the value trace
    assert trace["marker"]["line"]["width"] > 2
    assert flagged_outline_trace(_GEO, ["a"], [False])["locations"] == []


def test_outline_goes_after_the_value_trace_in_a_valid_figure() -> None:
    indicator = INDICATORS["incidence"]
    traces = choropleth_traces(_GEO, ["a", "b", "c"], ["甲", "乙", "丙"], [1.0, 2.0, None],
                               indicator=indicator)  # fmt: skip
    traces.append(flagged_outline_trace(_GEO, ["a", "b", "c"], [True, False, True]))
    figure = go.Figure(data=traces)  # plotly validates every property
    assert figure.data[VALUE_TRACE].meta == "values"
    assert figure.data[-1].meta == FLAG_TRACE_META
    assert list(figure.data[-1].locations) == ["a", "c"]


def test_legend_entry_is_an_indigo_line_in_the_outline_group() -> None:
    """The outline's own legend swatch would be its transparent fill: the entry is a line
    trace of one point (draws no line), in the outline's legend group (a click toggles both)."""
    outline = flagged_outline_trace(_GEO, ["a", "b"], [True, False])
    legend = flagged_legend_trace("贫困县（深蓝边框）", (106.5, 26.5))
    assert not outline["showlegend"] and legend["showlegend"]
    assert legend["legendgroup"] == outline["legendgroup"] == FLAG_TRACE_META
    assert legend["line"]["color"] == outline["marker"]["line"]["color"]
    assert legend["meta"] == FLAG_LEGEND_META and legend["mode"] == "lines"
    assert len(legend["lon"]) == 1  # one point: no line drawn, but a legend entry
    figure = go.Figure(data=[outline, legend])
    assert figure.data[1].name == "贫困县（深蓝边框）"
