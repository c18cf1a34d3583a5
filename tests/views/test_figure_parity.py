"""The page and the exports draw one figure: what a callback sends for a view equals what
the export renders for the same view (boundaries inline instead of a URL, nothing else)."""

from __future__ import annotations

import json

import plotly.utils
import pytest

from battlemap.app import create_app
from battlemap.exports import ExportRequest
from battlemap.exports.pictures import FOOTER_PX, TITLE_PX, panel_figure
from battlemap.geodata.access import ScopedStore
from battlemap.settings import Settings
from battlemap.viewstate import ViewState
from tests.auth.dash_calls import call, server_callbacks, view_state

WIDTH, HEIGHT = 900, 700


@pytest.fixture(scope="module")
def client(embedded_store, small_data_dir):
    app = create_app(Settings(data_dir=small_data_dir), store=embedded_store, warm=False)
    return app.server.test_client()


@pytest.fixture(scope="module")
def prefecture(embedded_store) -> str:
    return embedded_store.regions.children(embedded_store.regions.roots()[0].code)[0].code


def _plain(figure) -> dict:
    """JSON as sent, boundaries and glyph source replaced by a marker (URL vs inline)."""
    figure = json.loads(json.dumps(figure, cls=plotly.utils.PlotlyJSONEncoder))
    for trace in figure["data"]:
        if "geojson" in trace:
            trace["geojson"] = "<boundaries>"
    style = figure["layout"].get("map", {}).get("style")
    if isinstance(style, dict):
        style.pop("glyphs", None)
    return figure


def _dep(client, output: str) -> dict:
    return next(d for d in server_callbacks(client) if output in d["output"])


@pytest.mark.parametrize(
    "layers", [["choropleth", "labels"], ["choropleth", "labels", "households", "flows"]]
)
def test_map_callback_equals_export(client, embedded_store, prefecture, layers) -> None:
    state = ViewState(region=prefecture, year=2018, layers=tuple(layers))
    query = state.query()
    response = call(
        client,
        _dep(client, "map.figure"),
        {
            "url.search": query,
            "view-state.data": view_state(prefecture, year=2017),  # the view before
            "viewport.data": {"w": WIDTH, "h": HEIGHT - TITLE_PX - FOOTER_PX},
        },
        changed=["url.search"],
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    page = json.loads(response.data)["response"]["map"]["figure"]
    exported = panel_figure(
        ExportRequest(ScopedStore(embedded_store), state, "map", {"width": WIDTH, "height": HEIGHT})
    )
    assert any("geojson" in t and isinstance(t["geojson"], dict) for t in exported["data"])
    assert _plain(page) == _plain(exported)


def test_chart_callback_equals_export(client, embedded_store, prefecture) -> None:
    data = view_state(prefecture, year=2018)
    response = call(
        client,
        _dep(client, "cause-chart-box.children"),
        {"map-drawn.data": 1, "view-state.data": data, "chart-key.data": None},
        changed=["map-drawn.data"],
    )
    sent = json.loads(response.data)["response"]
    state = ViewState.from_dict(data)
    access = ScopedStore(embedded_store)
    for box, panel in (("cause-chart-box", "causes"), ("trend-chart-box", "trend"),
                       ("radar-chart-box", "radar")):  # fmt: skip
        page = sent[box]["children"]["props"]["figure"]
        assert _plain(page) == _plain(panel_figure(ExportRequest(access, state, panel))), panel
