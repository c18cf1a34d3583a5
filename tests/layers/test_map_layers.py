"""Map layers: choropleth, labels, heat, households, hexbins, flows, the map figure."""

from __future__ import annotations

import pandas as pd
import pytest

from battlemap.layers.catalog import INDICATORS, available_indicators, format_value, warning_total
from battlemap.layers.choropleth import (
    VALUE_TRACE,
    choropleth_coloraxis,
    choropleth_traces,
    choropleth_values,
)
from battlemap.layers.flows import WIDTHS, arc, flow_traces
from battlemap.layers.heat import heat_trace
from battlemap.layers.hexbins import cell_centres, hexbin_coloraxis, hexbin_geojson, hexbin_trace
from battlemap.layers.households import household_bubbles, household_rows, household_traces
from battlemap.layers.labels import label_traces
from battlemap.layers.mapfigure import map_figure
from tests.layers.conftest import assert_valid, assert_valid_trace

CODES = ["520100000000", "520200000000", "520300000000"]
NAMES = ["贵阳市", "六盘水市", "遵义市"]
INCIDENCE = INDICATORS["incidence"]


def test_choropleth_leaves_missing_values_out() -> None:
    traces = choropleth_traces("/geo/52.json", CODES, NAMES, [3.5, None, 0.0], indicator=INCIDENCE)
    outline, values = traces
    assert outline["locations"] == ["520200000000"] and outline["geojson"] == "/geo/52.json"
    assert values["locations"] == ["520100000000", "520300000000"]
    assert values["z"] == [3.5, 0.0]
    assert values["customdata"][0] == ["贵阳市", "3.50%"]
    assert values["coloraxis"] == "coloraxis"
    assert traces.index(values) == VALUE_TRACE
    fig = assert_valid(
        map_figure(
            traces,
            view={"center": {"lon": 0, "lat": 0}, "zoom": 3},
            uirevision="52",
            coloraxis=choropleth_coloraxis(INCIDENCE, 3.5),
        )
    )
    assert fig.layout.coloraxis.cmax == 3.5
    assert fig.layout.coloraxis.colorbar.title.text == "贫困发生率 (%)"


def test_choropleth_values_switched_off_and_english() -> None:
    traces = choropleth_traces(
        "/g.json", CODES, NAMES, [1, 2, 3], indicator=INCIDENCE, show_values=False, lang="en"
    )
    assert traces[1]["locations"] == [] and traces[0]["customdata"][0][1] == "No data"
    assert traces[0]["locations"] == CODES
    data = choropleth_values(
        CODES, NAMES, [10, 20, 30], indicator=INDICATORS["poor_persons"], lang="en"
    )
    assert data["customdata"][2] == ["遵义市", "30 persons"]


def test_coloraxis_never_collapses() -> None:
    assert choropleth_coloraxis(INCIDENCE, None)["cmax"] == 1.0
    assert choropleth_coloraxis(INCIDENCE, 0)["cmax"] == 1.0
    axis = choropleth_coloraxis(INDICATORS["exit_progress"], 80.0, lang="en")
    assert axis["colorbar"]["title"]["text"] == "Exit progress (%)"


def test_catalog() -> None:
    names = ["poor_persons", "rural_population", "exited_persons", "registered_persons"]
    assert available_indicators(names) == [
        "incidence",
        "poor_persons",
        "exit_progress",
        "relocations",
    ]
    full = [*names, "wrong_exit_households", "warning_households_edge"]
    assert "warnings" in available_indicators(full) and "wrong_exits" in available_indicators(full)
    assert warning_total({"warning_households_a": 2, "warning_households_b": 3, "x": 9}) == 5
    assert warning_total({"poor_persons": 1}) is None
    assert format_value(None, INCIDENCE) == "暂无数据"
    assert format_value(1234, INDICATORS["poor_persons"]) == "1,234 人"


def test_labels_dark_and_light() -> None:
    dark, light = label_traces(
        CODES, NAMES, [1, 2, 3], [4, 5, 6], values=[1.0, None, 9.0], zmax=10.0
    )
    # both traces hold every unit: a Patch moves a name by its text, never empties a trace
    assert dark["text"] == ["贵阳市", "六盘水市", ""] and light["text"] == ["", "", "遵义市"]
    assert dark["lon"] == light["lon"] == [1, 2, 3]
    assert light["textfont"]["color"] == "#ffffff"
    assert dark["customdata"] == light["customdata"] == [[c] for c in CODES]
    only_dark, empty = label_traces(CODES, NAMES, [1, 2, 3], [4, 5, 6])
    assert only_dark["text"] == NAMES and empty["text"] == ["", "", ""]
    for trace in (dark, light, empty):
        assert_valid_trace(trace)


def test_heat_trace() -> None:
    trace = heat_trace([1.0, 2.0], [3.0, 4.0], [5, 6], level=2)
    assert trace["type"] == "densitymap" and trace["z"] == [5, 6]
    assert_valid_trace(trace)


def test_household_traces(frame_households) -> None:
    halo, *traces = household_traces(frame_households)
    assert halo["meta"] == "households-halo" and len(halo["lon"]) == 4
    names = [t["name"] for t in traces]
    assert names == ["已脱贫 (1)", "返贫 (1)", "未脱贫 (2)"]  # poor drawn last, on top
    assert traces[-1]["customdata"][0] == ["h1", "520102100200"]  # village last: click drills
    assert traces[-1]["text"][0].startswith("<b>张*</b> · 3 人")
    by_cause = household_traces(frame_households, colour_by="cause", lang="en")[1:]
    assert sum(len(t["lon"]) for t in by_cause) == 4
    for trace in traces + by_cause:
        assert_valid_trace(trace)
    assert household_traces(frame_households.iloc[0:0]) == []


def test_household_bubbles_and_rows(frame_households) -> None:
    bubble = household_bubbles(CODES, NAMES, [1, 2, 3], [4, 5, 6], [0, 25, 100])
    sizes = bubble["marker"]["size"]
    assert sizes[0] < sizes[1] < sizes[2]
    assert bubble["customdata"][2][0] == CODES[2]
    assert_valid_trace(bubble)
    rows = household_rows(frame_households, lang="en")
    assert rows[0] == {
        "id": "h1",
        "hh_id": "h1",
        "head_name": "张*",
        "size": 3,
        "hh_type": "Ordinary",  # types and causes in the page's language (issue 17)
        "status": "poor",
        "primary_cause": "Illness",
    }
    assert household_rows(frame_households)[0]["hh_type"] == "一般户"


def test_hexbins() -> None:
    cells = ["87400c019ffffff", "87400c01dffffff"]
    geo = hexbin_geojson(cells)
    ring = geo["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 7
    frame = pd.DataFrame({"cell": cells, "poor_households": [2, 5], "poor_persons": [6, 15]})
    trace = hexbin_trace(frame)
    assert trace["coloraxis"] == "coloraxis2" and trace["z"] == [6, 15]
    assert_valid(
        map_figure(
            [trace],
            view={"center": {"lon": 0, "lat": 0}, "zoom": 1},
            uirevision="x",
            coloraxis2=hexbin_coloraxis(15),
        )
    )
    lon, lat = cell_centres(cells)
    assert 100 < lon[0] < 110 and 20 < lat[0] < 30


def test_arc_and_flows() -> None:
    points = arc((106.0, 26.0), (113.0, 23.0))
    assert points[0] == (106.0, 26.0) and points[-1] == (113.0, 23.0) and len(points) == 17
    moves = pd.DataFrame(
        {
            "origin_code": [CODES[0], CODES[1], "529900000000"],
            "site_code": ["s1", "s2", "s3"],
            "site_lon": [106.5, 104.8, 1.0],
            "site_lat": [26.5, 26.6, 1.0],
            "households": [3, 1, 1],
            "persons": [10, 1, 5],
        }
    )
    labour = pd.DataFrame(
        {
            "origin_code": [CODES[0]],
            "destination_name": ["广州市"],
            "dest_lon": [113.26],
            "dest_lat": [23.13],
            "persons": [70],
        }
    )
    origins = {CODES[0]: (106.6, 26.6), CODES[1]: (104.8, 26.5)}
    traces = flow_traces(moves, labour, origins, dict(zip(CODES, NAMES, strict=True)))
    lines = [t for t in traces if t["mode"] == "lines"]
    assert {t["line"]["width"] for t in lines if t["legendgroup"] == "relocation"} <= set(WIDTHS)
    assert max(t["line"]["width"] for t in lines if t["legendgroup"] == "relocation") == WIDTHS[-1]
    labour_widths = [t["line"]["width"] for t in lines if t["legendgroup"] == "labour"]
    assert labour_widths and max(labour_widths) < WIDTHS[-1]  # labour drawn thinner
    assert sum(t["lon"].count(None) for t in lines if t["legendgroup"] == "relocation") == 2
    assert any("广州市" in (x or "") for t in lines for x in t["text"])
    for trace in traces:
        assert_valid_trace(trace)
    empty = moves.iloc[0:0]
    assert flow_traces(empty, labour.iloc[0:0], origins, {}) == []


def test_map_figure_layout() -> None:
    fig = map_figure(
        [],
        view={"center": {"lon": 106, "lat": 26}, "zoom": 6},
        uirevision="52",
        glyphs_url="/glyphs/{fontstack}/{range}.pbf",
        credit="边界 © 天地图",
    )
    assert fig["layout"]["annotations"][0]["text"] == "边界 © 天地图"
    assert fig["layout"]["uirevision"] == "52"
    assert fig["layout"]["map"]["style"]["glyphs"] == "/glyphs/{fontstack}/{range}.pbf"
    assert fig["layout"]["map"]["zoom"] == 6
    assert_valid(fig)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_map_credit_in_lines_on_a_narrow_map_only(lang: str) -> None:
    """A phone's map (390 px) gets the credit one part a line, so it stays clear of the
    legend (it ran over the legend's entries); a desktop map and an export keep one line."""
    from battlemap.i18n import t

    credit = t("map_credit", lang)
    view = {"center": {"lon": 106, "lat": 26}, "zoom": 6}
    narrow = map_figure([], view=view, uirevision="52", credit=credit, width=390)
    wide = map_figure([], view=view, uirevision="52", credit=credit, width=960)
    lines = narrow["layout"]["annotations"][0]["text"].split("<br>")

    def letters(text: str) -> str:  # every letter kept: only the " · " became a break
        return "".join(text.replace("·", "").split())

    assert len(lines) == 3 and letters("".join(lines)) == letters(credit)
    assert wide["layout"]["annotations"][0]["text"] == credit
    assert_valid(narrow)


@pytest.mark.parametrize("key", list(INDICATORS))
def test_every_indicator_has_labels(key: str) -> None:
    indicator = INDICATORS[key]
    assert indicator.title("zh") and indicator.title("en") != indicator.title("zh")
    assert_valid({"data": [], "layout": {"coloraxis": choropleth_coloraxis(indicator, 5)}})
