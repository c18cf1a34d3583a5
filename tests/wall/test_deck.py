"""The wall's 3D panel (``/wall/deck``): one offline shell page, the vendored deck.gl bundle
served once and cached, and each view's deck as JSON through the screen's scope (the
browser test draws it and turns it: test_wall_browser.py)."""

from __future__ import annotations

import re

import pytest

from battlemap.app import create_app
from battlemap.exports.offline import external_references
from battlemap.geodata.access import AccessRefusedError, Scope, ScopedStore
from battlemap.settings import Settings
from battlemap.viewstate import ViewState
from battlemap.wall.deck import GROUND, deck_idle, deck_spec, deck_src, shell_page

YEAR = 2017


@pytest.fixture(scope="module")
def client(embedded_store, small_data_dir):
    app = create_app(Settings(data_dir=small_data_dir), store=embedded_store, warm=False)
    return app.server.test_client()


def test_page_is_offline_dark_and_fitted(embedded_store) -> None:
    root = embedded_store.regions.roots()[0].code
    state = ViewState(root, YEAR)
    deck, wide = (deck_spec(ScopedStore(embedded_store), state, w) for w in (500, 1000))
    layers = {layer["id"]: layer for layer in deck["layers"]}
    assert layers["boundaries"]["getFillColor"] == GROUND  # the dark wall's ground
    assert {"columns", "flows"} <= set(layers)  # poor persons as columns, flows as arcs
    assert not any(layer.get("pickable") for layer in deck["layers"])
    # a panel half as wide shows the region one zoom step further out
    zoom = deck["initialViewState"]["zoom"]
    assert zoom == pytest.approx(wide["initialViewState"]["zoom"] - 1, abs=0.01)


def test_display_scope_without_export_right(embedded_store) -> None:
    root = embedded_store.regions.roots()[0].code
    prefecture = embedded_store.regions.children(root)[0].code
    screen = ScopedStore(embedded_store, Scope(roots=(prefecture,), exports=False))
    deck = deck_spec(screen, ViewState(prefecture, YEAR), 560)  # its own scope: drawn
    assert deck["layers"][1]["id"] == "columns"
    with pytest.raises(AccessRefusedError):  # the province is outside it
        deck_spec(screen, ViewState(root, YEAR), 560)


def test_shell_is_offline_and_loads_the_bundle_from_this_app(client) -> None:
    page = shell_page()
    assert external_references(page) == []  # nothing from outside
    bundle = re.search(r'<body data-lib="(deck/deckgl\.js\?h=\w+)">', page)
    assert bundle and len(page) < 20_000  # deck.gl by URL, not inlined (~4 MB)
    response = client.get("/wall/deck")
    assert response.status_code == 200 and b"deck-container" in response.data
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in csp and "script-src 'self' 'unsafe-inline'" in csp
    assert "http" not in csp  # no outside host allowed


def test_bundle_is_served_once_and_cached(client) -> None:
    first = client.get("/wall/deck/deckgl.js?h=x")
    assert first.status_code == 200 and first.mimetype == "text/javascript"
    assert b"createDeck" in first.data and b"updateDeck" in first.data
    assert b"sourceMappingURL" not in first.data[-500:]  # no map fetched in dev tools either
    assert "max-age=31536000" in first.headers["Cache-Control"]
    assert "immutable" in first.headers["Cache-Control"]
    etag = first.headers["ETag"]
    assert etag.strip('"') in shell_page()  # the page's URL names the bundle's digest
    again = client.get("/wall/deck/deckgl.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_data_route_answers_the_view_as_json(client, embedded_store) -> None:
    root = embedded_store.regions.roots()[0].code
    src = deck_src("/", ViewState(root, YEAR), {"w": 1920}, "v1")
    path, view = src.split("#")
    assert path == "/wall/deck" and deck_idle("/") == "/wall/deck#"  # one page, views in #
    assert re.fullmatch(r"region=\d{12}&year=2017&.*w=557.*", view)
    response = client.get(f"/wall/deck/data?{view}")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.json == deck_spec(ScopedStore(embedded_store), ViewState(root, YEAR), 557)
    assert client.get("/wall/deck/data?region=999999&year=2017").status_code == 404
    assert client.get(f"/wall/deck/data?region={root}&year=x").status_code == 400


@pytest.mark.postgis
def test_same_panel_on_postgis(embedded_store, postgis_store) -> None:
    root = embedded_store.regions.roots()[0].code
    decks = [
        deck_spec(ScopedStore(store), ViewState(root, YEAR), 560)
        for store in (embedded_store, postgis_store)
    ]
    assert decks[0] == decks[1]
