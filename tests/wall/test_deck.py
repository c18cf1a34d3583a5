"""The wall's 3D panel page (``/wall/deck``): the exports' offline deck.gl page, dressed for
the wall, through the screen's scope (the browser test draws it: test_wall_browser.py)."""

from __future__ import annotations

import json
import re

import pytest

from battlemap.app import create_app
from battlemap.exports.offline import external_references
from battlemap.geodata.access import AccessRefusedError, Scope, ScopedStore
from battlemap.settings import Settings
from battlemap.viewstate import ViewState
from battlemap.wall.deck import GROUND, deck_page, deck_src

YEAR = 2017


def _deck_json(page: str) -> dict:
    """The deck's JSON as the page hands it to deck.gl."""
    start = page.index("const jsonInput = ") + len("const jsonInput = ")
    return json.JSONDecoder().raw_decode(page[start:])[0]


@pytest.fixture(scope="module")
def client(embedded_store, small_data_dir):
    app = create_app(Settings(data_dir=small_data_dir), store=embedded_store, warm=False)
    return app.server.test_client()


def test_page_is_offline_dark_and_fitted(embedded_store) -> None:
    root = embedded_store.regions.roots()[0].code
    state = ViewState(root, YEAR)
    narrow, wide = (deck_page(ScopedStore(embedded_store), state, w) for w in (500, 1000))
    assert external_references(narrow) == []  # nothing fetched from outside
    deck = _deck_json(narrow)
    layers = {layer["id"]: layer for layer in deck["layers"]}
    assert layers["boundaries"]["getFillColor"] == GROUND  # the dark wall's ground
    assert {"columns", "flows"} <= set(layers)  # poor persons as columns, flows as arcs
    assert not any(layer.get("pickable") for layer in deck["layers"])
    # a panel half as wide shows the region one zoom step further out
    zoom = deck["initialViewState"]["zoom"]
    assert zoom == pytest.approx(_deck_json(wide)["initialViewState"]["zoom"] - 1, abs=0.01)


def test_display_scope_without_export_right(embedded_store) -> None:
    root = embedded_store.regions.roots()[0].code
    prefecture = embedded_store.regions.children(root)[0].code
    screen = ScopedStore(embedded_store, Scope(roots=(prefecture,), exports=False))
    page = deck_page(screen, ViewState(prefecture, YEAR), 560)  # its own scope: drawn
    assert _deck_json(page)["layers"][1]["id"] == "columns"
    with pytest.raises(AccessRefusedError):  # the province is outside it
        deck_page(screen, ViewState(root, YEAR), 560)


def test_route_frames_only_in_this_app(client, embedded_store) -> None:
    root = embedded_store.regions.roots()[0].code
    src = deck_src("/", ViewState(root, YEAR), {"w": 1920}, "v1")
    assert re.fullmatch(r"/wall/deck\?region=\d{12}&year=2017&.*w=557.*", src)
    response = client.get(src)
    assert response.status_code == 200 and b"deck-container" in response.data
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    assert client.get("/wall/deck?region=999999&year=2017").status_code == 404
    assert client.get(f"/wall/deck?region={root}&year=x").status_code == 400


@pytest.mark.postgis
def test_same_panel_on_postgis(embedded_store, postgis_store) -> None:
    root = embedded_store.regions.roots()[0].code
    decks = [
        _deck_json(deck_page(ScopedStore(store), ViewState(root, YEAR), 560))
        for store in (embedded_store, postgis_store)
    ]
    assert decks[0] == decks[1]
