"""URL ⇄ view state and the state transitions (click, row, slider, pickers, back/forward)."""

from __future__ import annotations

import json

import pytest

from battlemap import ids
from battlemap.app import create_app
from battlemap.callbacks.state import clicked_region, resolve
from battlemap.geodata.access import OutOfScopeError, Scope, ScopedStore
from battlemap.layers.catalog import INDICATORS
from battlemap.settings import Settings
from battlemap.viewstate import DEFAULT_LAYERS, ViewState, default_year, parse_query
from tests.auth.dash_calls import call, server_callbacks, view_state

ALL = list(INDICATORS)


def test_query_round_trip(access, chain) -> None:
    for layers in [(), ("choropleth",), ("choropleth", "heat", "flows")]:
        state = ViewState(
            region=chain[3], year=2015, indicator="poor_persons", layers=layers, lang="en"
        )
        parsed, problems = parse_query(state.query(), access, indicators=ALL)
        assert (parsed, problems) == (state, [])
    assert ViewState(region=chain[0], year=2016).query() == (
        f"?region={chain[0]}&year=2016&indicator=incidence"
        "&layers=choropleth,labels,households&lang=zh"
    )


def test_bad_parameters_fall_back_with_problems(access) -> None:
    state, problems = parse_query(
        "?region=99&year=1900&indicator=nope&layers=x,labels&lang=fr", access, indicators=ALL
    )
    home = access.home().code
    assert state == ViewState(
        region=home, year=default_year(access, home), layers=("labels",), lang="zh"
    )
    assert len(problems) == 5 and any("1900" in p for p in problems)
    empty, none = parse_query("", access, indicators=ALL)
    assert none == [] and empty.layers == DEFAULT_LAYERS and empty.region == home


def test_default_year_has_poor_persons(access, chain) -> None:
    year = default_year(access, chain[0])
    assert access.counts(chain[0], year)["poor_persons"] > 0
    assert all(access.counts(chain[0], y)["poor_persons"] == 0 for y in access.years if y > year)


def test_clicked_region() -> None:
    code = "520100000000"
    assert clicked_region({"points": [{"location": code, "z": 3}]}) == code
    assert clicked_region({"points": [{"customdata": [code]}]}) == code  # label, bubble
    household = ["5201021002000001", "520102100200"]
    assert clicked_region({"points": [{"customdata": household}]}) == "520102100200"
    assert clicked_region({"points": [{"customdata": ["x", "y"]}]}) is None
    assert clicked_region(None) is None and clicked_region({"points": []}) is None


def test_drill_only_into_children(access, chain, state) -> None:
    child = chain[1]
    new, problems = resolve(
        ids.MAP, state, access, indicators=ALL, click={"points": [{"location": child}]}
    )
    assert new == state.but(region=child) and problems == []
    grandchild = chain[2]  # not a child of the province: no drill
    same, _ = resolve(
        ids.MAP, state, access, indicators=ALL, click={"points": [{"location": grandchild}]}
    )
    assert same == state
    row, _ = resolve(ids.RANKING, state, access, indicators=ALL, row_id=child)
    assert row.region == child


def test_scope_blocks_foreign_click(embedded_store, chain) -> None:
    county = chain[2]
    scoped = ScopedStore(embedded_store, Scope(roots=(county,)))
    state = ViewState(region=county, year=2016)
    other = next(c.code for c in embedded_store.regions.children(chain[1]) if c.code != county)
    foreign_child = embedded_store.regions.children(other)[0].code
    with pytest.raises(OutOfScopeError):
        resolve(
            ids.MAP, state, scoped, indicators=ALL, click={"points": [{"location": foreign_child}]}
        )


def test_controls(access, state) -> None:
    assert resolve(ids.YEAR, state, access, indicators=ALL, year=2018)[0].year == 2018
    assert resolve(ids.YEAR, state, access, indicators=ALL, year=1999)[0] == state
    assert (
        resolve(ids.INDICATOR, state, access, indicators=ALL, indicator="exit_progress")[
            0
        ].indicator
        == "exit_progress"
    )
    assert (
        resolve(ids.INDICATOR, state, access, indicators=["incidence"], indicator="warnings")[0]
        == state
    )
    layered = resolve(ids.LAYERS, state, access, indicators=ALL, layers=["flows", "choropleth"])
    assert layered[0].layers == ("choropleth", "flows")  # catalogue order
    back, _ = resolve(ids.URL, state, access, indicators=ALL, search=state.but(year=2014).query())
    assert back == state.but(year=2014)


def test_view_compare_and_filter_round_trip(access, chain) -> None:
    state = ViewState(
        region=chain[2],
        year=2018,
        compare=2014,
        filter="cause:03",
        view="9.5/26.12345/108.5",
    )
    assert "compare=2014" in state.query() and "filter=cause:03" in state.query()
    assert "map=9.5/26.12345/108.5" in state.query()
    parsed, problems = parse_query(state.query(), access, indicators=ALL)
    assert (parsed, problems) == (state, [])
    assert ViewState.from_dict(state.to_dict()) == state
    # another region drops the hand-moved view (it is fitted), a filter and comparison stay
    moved = state.but(region=chain[3])
    assert moved.view is None and moved.filter == "cause:03" and moved.compare == 2014
    assert "map=" not in state.query(region=chain[3])
    # unset fields stay out of links and stored states
    plain = ViewState(region=chain[0], year=2016)
    assert set(plain.to_dict()) == {"region", "year", "indicator", "layers", "lang"}


@pytest.mark.parametrize(
    ("query", "word"),
    [("compare=1999", "compare"), ("filter=cause:99", "filter"), ("map=7/95/10", "map")],
)
def test_bad_view_compare_filter_are_explained(access, chain, query, word) -> None:
    state, problems = parse_query(f"?region={chain[1]}&{query}", access, indicators=ALL)
    assert state.region == chain[1] and len(problems) == 1 and word in problems[0]
    assert state.compare is None and state.filter is None and state.view is None


def test_relayout_gives_the_view() -> None:
    from battlemap.viewstate import view_from_relayout, view_layout

    relayout = {"map.center": {"lon": 106.712345678, "lat": 26.5}, "map.zoom": 8.123456}
    assert view_from_relayout(relayout) == "8.12/26.5/106.71235"
    assert view_layout("8.12/26.5/106.71235") == {
        "center": {"lon": 106.71235, "lat": 26.5},
        "zoom": 8.12,
    }
    assert view_from_relayout({"autosize": True}) is None
    assert view_from_relayout({"map.center": {"lon": 1}, "map.zoom": 3}) is None


def test_compare_picker(access, state) -> None:
    new, _ = resolve(ids.COMPARE, state, access, indicators=ALL, compare="2014")
    assert new == state.but(compare=2014)
    back, _ = resolve(ids.COMPARE, new, access, indicators=ALL, compare="")
    assert back == state
    same, _ = resolve(ids.COMPARE, state, access, indicators=ALL, compare="1990")
    assert same == state


def test_drill_answer_carries_the_map(embedded_store, small_data_dir, chain) -> None:
    """One round trip per click: the state callback's answer holds the child's map (a full
    figure), a year step's answer a value Patch; no map request waits for the state."""
    app = create_app(Settings(data_dir=small_data_dir), store=embedded_store, warm=False)
    client = app.server.test_client()
    deps = server_callbacks(client)
    dep = next(d for d in deps if d["output"].startswith("..view-state.data..."))
    assert not [
        d["output"]
        for d in deps
        if "map.figure" in d["output"] and any(i["id"] == ids.STATE for i in d["inputs"])
    ]
    values = {
        "view-state.data": view_state(chain[0]),
        "map.clickData": {"points": [{"location": chain[1]}]},
        "viewport.data": {"w": 800, "h": 600},
        "year-slider.value": 2016,
    }
    body = json.loads(call(client, dep, values, changed=["map.clickData"]).data)["response"]
    assert body["view-state"]["data"]["region"] == chain[1]
    assert body["map"]["figure"]["layout"]["uirevision"] == chain[1]
    assert body["map"]["figure"]["data"][0]["geojson"].startswith(f"/geo/{chain[1]}.json")
    key = body["map-key"]["data"]
    assert key["region"] == chain[1]
    # the next year at the same region: only the values, as a Patch
    values.update(
        {
            "view-state.data": body["view-state"]["data"],
            "map.clickData": None,
            "map-key.data": key,
            "year-slider.value": 2017,
        }
    )
    step = json.loads(call(client, dep, values, changed=["year-slider.value"]).data)["response"]
    assert step["view-state"]["data"]["year"] == 2017
    assert "__dash_patch_update" in step["map"]["figure"] and "map-key" not in step
    # a click on a grandchild changes nothing: no map is built or sent
    values["map.clickData"] = {"points": [{"location": chain[3]}]}
    response = call(client, dep, values, changed=["map.clickData"])
    assert json.loads(response.data)["response"]["map"] == {"clickData": None}
