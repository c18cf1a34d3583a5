"""Response compression: the cache of compressed large responses stays bounded (issue 18.1)."""

from __future__ import annotations

import gzip

import pytest
from flask import Flask, Response

from battlemap.app import create_app
from battlemap.compression import CACHE_MAX_BYTES, CACHE_MAX_ENTRIES, enable_compression
from battlemap.lru import BoundedCache
from battlemap.settings import Settings

ASSET = "/assets/plotly-battlemap.min.js"


@pytest.fixture(scope="module")
def client(embedded_store, small_data_dir):
    app = create_app(Settings(data_dir=small_data_dir), store=embedded_store, warm=False)
    return app.server.test_client()


def test_query_strings_do_not_grow_the_asset_cache(client) -> None:
    cache = client.application.extensions["battlemap_gzip_cache"]
    cache.clear()
    first = None
    for i in range(60):
        response = client.get(f"{ASSET}?x={i}", headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
        first = first or response.data
        assert response.data == first  # the same compressed bytes every time
    assert len(cache) == 1
    assert gzip.decompress(first).startswith(b"/**") or len(gzip.decompress(first)) > 100_000


def test_cache_is_bounded_by_entries_and_bytes() -> None:
    """Distinct large responses (here: a route answering a different body per query) evict
    the oldest entries instead of accumulating."""
    server = Flask(__name__)

    @server.route("/big")
    def big() -> Response:
        from flask import request

        seed = request.args.get("n", "0")
        body = (seed * 40_000)[:200_000].encode()
        return Response(body, mimetype="application/json")

    cache = enable_compression(server, max_entries=5, max_bytes=CACHE_MAX_BYTES)
    client = server.test_client()
    for n in range(1, 40):
        response = client.get(f"/big?n={n}", headers={"Accept-Encoding": "gzip"})
        assert gzip.decompress(response.data) == (str(n) * 40_000)[:200_000].encode()
    assert len(cache) == 5

    by_bytes = enable_compression(Flask("b"), max_entries=CACHE_MAX_ENTRIES, max_bytes=1000)
    for n in range(50):
        by_bytes.put(n, bytes(300))
    assert len(by_bytes) == 3 and by_bytes.weight <= 1000


def test_lru_keeps_the_recently_used() -> None:
    cache: BoundedCache[str] = BoundedCache(2)
    cache.put("a", "A")
    cache.put("b", "B")
    assert cache.get("a") == "A"
    cache.put("c", "C")
    assert cache.get("b") is None and cache.get("a") == "A" and cache.get("c") == "C"
    cache.put("huge", "x")
    assert len(cache) == 2


def test_store_shape_cache_is_bounded(embedded_store, monkeypatch) -> None:
    import battlemap.geodata.store as store_module
    from battlemap.geodata.embedded import EmbeddedStore

    monkeypatch.setattr(store_module, "SHAPES_CACHE_ENTRIES", 3)
    store = EmbeddedStore(embedded_store.data_dir)
    root = store.regions.roots()[0].code
    counties = [
        c.code for p in store.regions.children(root) for c in store.regions.children(p.code)
    ]
    for code in counties[:10]:
        assert store.unit_shapes(code).code == code
    assert len(store.__dict__["_shapes_cache"]) == 3


def test_household_frame_cache_is_bounded_by_bytes(embedded_store, small_data_dir, monkeypatch):
    import battlemap.callbacks.context as context_module
    from battlemap.callbacks.context import AppContext
    from battlemap.views.cache import frame_bytes

    bound = 400_000
    monkeypatch.setattr(context_module, "HOUSEHOLD_CACHE_BYTES", bound)
    context = AppContext(Settings(data_dir=small_data_dir), store=embedded_store)
    tree = embedded_store.regions
    root = tree.roots()[0].code
    counties = [c.code for p in tree.children(root) for c in tree.children(p.code)][:12]
    sizes = [frame_bytes(context.households(code, 2016)) for code in counties]
    assert sum(sizes) > bound  # the limit was really reached
    assert context._households.weight <= bound and len(context._households) < len(counties)
