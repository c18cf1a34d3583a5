"""Issue 17's small map fixes on the figures: flow arrows and legend, no zero bubbles, one
colour bar with hexbins, a heat legend."""

from __future__ import annotations

import math

import pandas as pd

from battlemap.layers.flows import arc, arrowhead, flow_traces
from battlemap.layers.heat import heat_trace
from battlemap.layers.households import household_bubbles
from battlemap.layers.mapfigure import map_figure
from tests.layers.conftest import assert_valid, assert_valid_trace

CODES = ["520100000000", "520200000000"]


def test_arrowhead_points_back_along_the_flow() -> None:
    line = arc((106.0, 26.0), (108.0, 26.0))
    left, end, right = arrowhead(line)
    assert end == line[-1]
    for wing in (left, right):  # both wings trail behind the end, one each side
        back = (end[0] - wing[0], end[1] - wing[1])
        ahead = (line[-1][0] - line[-2][0], line[-1][1] - line[-2][1])
        assert back[0] * ahead[0] + back[1] * ahead[1] > 0
    assert (left[1] - end[1]) * (right[1] - end[1]) < 0  # one wing each side of the line
    assert 0 < math.dist(left, end) < math.dist(line[0], line[-1]) / 4


def test_flows_have_arrows_and_a_legend_per_kind() -> None:
    moves = pd.DataFrame(
        {
            "origin_code": [CODES[0]],
            "site_code": ["s1"],
            "site_lon": [106.9],
            "site_lat": [26.9],
            "households": [3],
            "persons": [10],
        }
    )
    labour = pd.DataFrame(
        {
            "origin_code": [CODES[1]],
            "destination_name": ["广州市"],
            "dest_lon": [113.26],
            "dest_lat": [23.13],
            "persons": [70],
        }
    )
    origins = {CODES[0]: (106.6, 26.6), CODES[1]: (104.8, 26.5)}
    traces = flow_traces(moves, labour, origins, {}, lang="zh")
    lines = [t for t in traces if t["mode"] == "lines"]
    for t in lines:
        points = [(x, y) for x, y in zip(t["lon"], t["lat"], strict=True) if x is not None]
        assert len(points) == 17 + 3  # the arc, then the arrow's wings around its end
        assert t["text"][17:20] == [None, None, None]  # wings carry no hover of their own
        assert_valid_trace(t)
    legend = {t["name"] for t in traces if t.get("showlegend")}
    assert legend == {"务工转移", "易地扶贫搬迁"}  # one legend entry per flow kind


def test_zero_bubbles_are_not_drawn() -> None:
    bubble = household_bubbles(CODES, ["甲", "乙"], [1.0, 2.0], [3.0, 4.0], [0, 40])
    assert bubble["marker"]["size"][0] == 0 and bubble["marker"]["size"][1] > 0


def test_one_colour_bar_with_hexbins_and_a_heat_legend() -> None:
    heat = heat_trace([1.0, 2.0], [3.0, 4.0], [5, 7], level=3, lang="en")
    assert heat["showscale"] and heat["colorbar"]["ticktext"] == ["fewer", "more"]
    assert heat["zmax"] == 7
    axis = {"colorscale": [[0, "#fff"], [1, "#000"]], "cmin": 0, "cmax": 1}
    with_hex = map_figure([heat], view={}, uirevision="x", coloraxis=axis, coloraxis2=axis)
    assert with_hex["layout"]["coloraxis"]["showscale"] is False
    assert "showscale" not in with_hex["layout"]["coloraxis2"]
    assert_valid(with_hex)
    alone = map_figure([], view={}, uirevision="x", coloraxis=axis)
    assert "showscale" not in alone["layout"]["coloraxis"]
