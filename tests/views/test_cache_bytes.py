"""The caches are bounded by the memory their values hold (issue 19: the 30-minute soak's
memory grew because a bound in JSON bytes held ~4x that in Python objects)."""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pandas as pd
import pytest
from dash import html

from battlemap.views.cache import ViewCache, array_bytes, frame_bytes, held_bytes


def _answer(i: int) -> tuple:
    rows = [
        {"name": f"村{i}-{j}", "value": j * 1.5, "code": f"52{i:04d}{j:06d}"} for j in range(300)
    ]
    tiles = [html.Div([html.Div(f"贫困人口 {k}", className="label"), html.Div(str(k * 1000))])
             for k in range(6)]  # fmt: skip
    return (tiles, {"data": rows, "layout": {"title": {"text": f"图 {i}"}}})


def _traced(make) -> tuple[object, int]:
    """A value and the bytes Python allocated to build it (tracemalloc: the real cost)."""
    gc.collect()
    tracemalloc.start()
    try:
        value = make()
        size = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return value, size


@pytest.mark.parametrize(
    "make",
    [lambda: _answer(7), lambda: [{"id": f"hh{i:08d}", "income": i * 2.5} for i in range(5000)]],
    ids=["panel answer", "table rows"],
)
def test_weight_is_near_the_memory_really_held(make):
    value, real = _traced(make)
    assert 0.5 * real <= held_bytes(value) <= 2 * real


def test_a_frame_weighs_what_pandas_counts_reading_every_string():
    frame = pd.DataFrame(
        {"hh_id": [f"hh{i:08d}" for i in range(20_000)], "income": np.arange(20_000.0)}
    )
    frame["hh_id"] = frame["hh_id"].astype(object)
    real = int(frame.memory_usage(deep=True).sum())
    assert 0.8 * real <= held_bytes(frame) <= 1.25 * real


def test_a_memory_mapped_array_weighs_nothing_of_its_data(tmp_path):
    path = tmp_path / "a.npy"
    np.save(path, np.arange(1_000_000, dtype=np.int64))
    mapped = np.load(path, mmap_mode="r")
    assert array_bytes(mapped[10:500_000]) < 1_000  # shared page cache, not the cache's
    assert array_bytes(np.asarray(mapped[[1, 2, 3]])) < 1_000
    assert array_bytes(np.arange(1_000_000, dtype=np.int64)) >= 8_000_000
    frame = pd.DataFrame({"x": np.arange(100_000, dtype=np.int64)})
    assert 800_000 <= frame_bytes(frame) <= 900_000


def test_evicts_the_oldest_by_bytes_held_and_never_keeps_more():
    one = held_bytes(_answer(0))
    cache = ViewCache(max_entries=1_000, max_bytes=int(one * 3.5))
    for i in range(10):
        cache.get(("panel", i), lambda i=i: _answer(i))
        assert cache.stats["bytes"] <= int(one * 3.5)
    assert cache.stats["entries"] == 3  # by bytes, long before the entry bound
    computed = []
    cache.get(("panel", 9), lambda: computed.append(9) or _answer(9))
    cache.get(("panel", 0), lambda: computed.append(0) or _answer(0))
    assert computed == [0]  # the newest was kept, the oldest dropped


def test_a_value_heavier_than_the_bound_is_served_but_not_kept():
    cache = ViewCache(max_entries=10, max_bytes=held_bytes(_answer(0)) // 2)
    assert cache.get("k", lambda: _answer(1))[1]["layout"]["title"]["text"] == "图 1"
    assert cache.stats["entries"] == 0


def test_a_small_byte_bound_evicts_but_never_serves_another_scopes_answer(small_data_dir):
    """Answers for two scopes through a cache that holds about one of them: evictions
    happen, and every answer is still the one of the asking scope."""
    from battlemap.app import create_app
    from battlemap.geodata.access import Scope
    from battlemap.settings import Settings
    from tests.auth.dash_calls import call, server_callbacks, view_state

    class Policy:
        current = Scope()

        def scope(self, default):
            return self.current

        def observe(self, code, allowed, why=""):
            pass

    app = create_app(Settings(data_dir=small_data_dir), warm=False)
    context = app.server.config["BATTLEMAP_CONTEXT"]
    context.policy = policy = Policy()
    client = app.server.test_client()
    dep = next(d for d in server_callbacks(client) if "household-table.data" in d["output"])
    village = context.store.regions.level_codes(5)[3]

    def names(pii: bool) -> list[str]:
        policy.current = Scope(pii=pii)
        answer = call(client, dep, {"view-state.data": view_state(village, year=2018)}).json
        return [r["head_name"] for r in answer["response"]["household-table"]["data"]]

    named, masked = names(True), names(False)
    assert named and named != masked and all(n.endswith("*") for n in masked if len(n) > 1)
    one = max(e[1] for e in context.views._cache._items.values())
    context.views = ViewCache(max_entries=100, max_bytes=int(one * 1.5))
    for _ in range(3):
        assert names(True) == named
        assert names(False) == masked
        assert context.views.stats["entries"] == 1  # the other scope's answer was evicted
