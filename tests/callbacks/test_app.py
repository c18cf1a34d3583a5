"""The app over HTTP (Flask test client): deep links, boundaries route, gzip, errors."""

from __future__ import annotations

import gzip
import json

import pytest

from battlemap.app import create_app
from battlemap.geodata.access import Scope
from battlemap.settings import Settings
from tests.auth.dash_calls import call, server_callbacks, view_state


@pytest.fixture(scope="module")
def client(embedded_store, small_data_dir):
    app = create_app(Settings(data_dir=small_data_dir), store=embedded_store, warm=False)
    return app.server.test_client()


def _layout(client, query: str = "") -> dict:
    response = client.get("/_dash-layout", headers={"Referer": f"http://localhost/{query}"})
    assert response.status_code == 200
    return json.loads(response.data)


def _find(node, component_id: str):
    if isinstance(node, dict):
        props = node.get("props", {})
        if props.get("id") == component_id:
            return props
        for value in props.values():
            found = _find(value, component_id)
            if found is not None:
                return found
    elif isinstance(node, list):
        for item in node:
            found = _find(item, component_id)
            if found is not None:
                return found
    return None


def test_deep_link_renders_its_view_and_language(client, chain) -> None:
    query = f"?region={chain[2]}&year=2015&indicator=poor_persons&layers=choropleth&lang=en"
    layout = _layout(client, query)
    state = _find(layout, "view-state")["data"]
    assert state == {
        "region": chain[2],
        "year": 2015,
        "indicator": "poor_persons",
        "layers": ["choropleth"],
        "lang": "en",
    }
    assert _find(layout, "year-slider")["value"] == 2015
    assert _find(layout, "indicator")["value"] == "poor_persons"
    text = json.dumps(layout, ensure_ascii=False)
    assert "Poverty Alleviation Battle Map" in text and "Synthetic demo data" in text
    assert "Tianditu" in text  # the boundary attribution


def test_bad_link_is_explained_not_fatal(client) -> None:
    layout = _layout(client, "?region=123&year=1800")
    banner = _find(layout, "error-banner")
    assert banner["hidden"] is False and "1800" in banner["children"]
    assert "Traceback" not in json.dumps(layout)


def test_boundaries_route(client, chain) -> None:
    response = client.get(f"/geo/{chain[1]}.json?v=any")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    ids = [f["id"] for f in json.loads(response.data)["features"]]
    assert ids == [
        c.code for c in client.application.config["BATTLEMAP_CONTEXT"].access().children(chain[1])
    ]
    assert client.get("/geo/529999000000.json").status_code == 404
    assert client.get("/geo/abc.json").status_code == 404
    zipped = client.get(f"/geo/{chain[0]}.json", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(zipped.data))["type"] == "FeatureCollection"
    assert client.get("/glyphs/Open Sans Regular/0-255.pbf").status_code == 200


def test_versioned_boundaries_are_cached(client, chain) -> None:
    context = client.application.config["BATTLEMAP_CONTEXT"]
    response = client.get(f"/geo/{chain[0]}.json?v={context.version}")
    assert "immutable" in response.headers["Cache-Control"]
    again = client.get(
        f"/geo/{chain[0]}.json?v={context.version}",
        headers={"If-None-Match": response.headers["ETag"]},
    )
    assert again.status_code == 304


def test_scope_applies_to_boundaries(embedded_store, small_data_dir, chain) -> None:
    app = create_app(
        Settings(data_dir=small_data_dir),
        store=embedded_store,
        scope=Scope(roots=(chain[2],)),
        warm=False,
    )
    client = app.server.test_client()
    assert client.get(f"/geo/{chain[2]}.json").status_code == 200
    assert client.get(f"/geo/{chain[0]}.json").status_code == 403
    layout = _layout(client)
    assert _find(layout, "view-state")["data"]["region"] == chain[2]


def test_callback_error_shows_in_the_banner(client) -> None:
    dep = next(d for d in server_callbacks(client) if "kpis.children" in d["output"])
    values = {"view-state.data": view_state("529999000000", layers=[])}
    response = call(client, dep, values)
    assert response.status_code in (200, 204)
    data = json.loads(response.data)
    banner = data["sideUpdate"]["error-banner"]
    assert banner["hidden"] is False and "529999000000" in banner["children"]
    assert "Traceback" not in response.get_data(as_text=True)


def test_missing_data_dir_is_a_readable_page(tmp_path) -> None:
    app = create_app(Settings(data_dir=tmp_path / "nowhere"), warm=False)
    client = app.server.test_client()
    text = json.dumps(_layout(client), ensure_ascii=False)
    assert "出错了" in text and "数据文件缺失或损坏" in text and "Traceback" not in text
    assert "nowhere" not in text and str(tmp_path) not in text  # what failed, not where


class _DownStore:
    """A store whose database went away after start-up."""

    def __init__(self, store) -> None:
        self._store = store

    def __getattr__(self, name):
        if name in (
            "counts",
            "counts_years",
            "children_counts",
            "series",
            "unit_shapes",
            "households",
        ):

            def fail(*args, **kwargs):
                from battlemap.geodata.errors import StoreUnavailableError

                raise StoreUnavailableError("cannot connect to PostgreSQL at db:5432/battlemap")

            return fail
        return getattr(self._store, name)


def test_store_down_is_a_readable_banner(embedded_store, small_data_dir) -> None:
    app = create_app(
        Settings(data_dir=small_data_dir), store=_DownStore(embedded_store), warm=False
    )
    client = app.server.test_client()
    dep = next(d for d in server_callbacks(client) if "kpis.children" in d["output"])
    root = embedded_store.regions.roots()[0].code
    values = {"view-state.data": view_state(root, layers=[], lang="en")}
    response = call(client, dep, values, page="/?lang=en")
    banner = json.loads(response.data)["sideUpdate"]["error-banner"]
    assert banner["children"] == (
        "Something went wrong: The database is not answering; figures shown may be out of "
        "date. Please try again"
    )  # what failed, never where (no host, port or database name)
    assert client.get(f"/geo/{root}.json").status_code == 503


def test_gunicorn_server_from_environment(monkeypatch, small_data_dir) -> None:
    import flask

    import battlemap.app as module

    monkeypatch.setenv("BATTLEMAP_DATA_DIR", str(small_data_dir))
    monkeypatch.setenv("BATTLEMAP_LANGUAGE", "en")
    monkeypatch.setattr(module, "_server", None)
    server = module.server
    assert isinstance(server, flask.Flask) and module.server is server
    context = server.config["BATTLEMAP_CONTEXT"]
    assert context.settings.data_dir == small_data_dir and context.settings.language == "en"
    assert server.test_client().get("/").status_code == 200
