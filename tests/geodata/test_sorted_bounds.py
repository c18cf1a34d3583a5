"""A binary search in a mapped integer array copies nothing of it (issue 19: single cadre
views allocated a 176 MB int64 copy of the 23 M visits' household rows per request)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from battlemap.geodata.cadres_store import EmbeddedCadres
from battlemap.geodata.sorted_bounds import bounds
from battlemap.indicators.cadre_rules import default_cadre_rules

EDGES = np.array([-(2**31), -5, 0, 0, 7, 2**31 - 1, 2**31 - 1], dtype=np.int32)


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("keys", [0, 7, 8, -(2**31), 2**31 - 1, 2**40, -(2**40), (0, 2**33)])
def test_positions_are_numpys(keys, side) -> None:
    expected = np.searchsorted(EDGES.astype(np.int64), keys, side=side)
    assert np.array_equal(bounds(EDGES, keys, side), expected)


def _peak(call) -> int:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_search_allocates_nothing_like_the_array() -> None:
    values = np.arange(2_000_000, dtype=np.int32)
    assert _peak(lambda: np.searchsorted(values, (10, 20))) >= values.nbytes  # the trap
    assert _peak(lambda: bounds(values, (10, 20))) < 64 * 1024


def test_a_villages_cadre_frames_cost_its_size_not_the_provinces(embedded_store) -> None:
    store = embedded_store
    engine = EmbeddedCadres(store.data_dir, store.regions.codes, store.years,
                            default_cadre_rules(), store.metrics)  # fmt: skip
    engine._load()
    village = store.regions.level_codes(5)[0]
    frames = engine.frames(village, 2018)
    assert len(frames.visits) < len(engine.v_hh) / 100
    # a widened copy of the visits' household rows alone would be 2 x their bytes
    assert _peak(lambda: engine.frames(village, 2018)) < len(engine.v_hh) * 4
