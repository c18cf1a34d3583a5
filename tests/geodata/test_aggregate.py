"""roll_up: village sums into every ancestor by code prefix, whatever order villages come in."""

from __future__ import annotations

import numpy as np
import pytest

from battlemap.geodata.aggregate import roll_up
from battlemap.geodata.errors import DataDirError

CODES = [
    "520000000000",
    "520100000000",
    "520102000000",
    "520102001000",
    "520102001001",
    "520102001002",
    "520102002000",
    "520102002001",
    "520200000000",
    "520201000000",
    "520201001000",
    "520201001001",
]
VILLAGES = [c for c in CODES if c[9:] != "000"]


def _naive(values: np.ndarray) -> np.ndarray:
    out = np.zeros((len(CODES), *values.shape[1:]), dtype=np.int64)
    for length in (2, 4, 6, 9, 12):
        for village, row in zip(VILLAGES, values, strict=True):
            out[CODES.index(village[:length].ljust(12, "0"))] += row
    return out


@pytest.mark.parametrize("order", ["sorted", "reversed", "shuffled"])
def test_every_ancestor_gets_the_sum_of_its_villages(order: str) -> None:
    rng = np.random.default_rng(3)
    values = rng.integers(0, 1000, (len(VILLAGES), 2, 3))
    index = {
        "sorted": np.arange(len(VILLAGES)),
        "reversed": np.arange(len(VILLAGES))[::-1],
        "shuffled": rng.permutation(len(VILLAGES)),
    }[order]
    got = roll_up(CODES, [VILLAGES[i] for i in index], values[index])
    np.testing.assert_array_equal(got, _naive(values))
    assert got[0].sum() == values.sum()  # the province holds everything once


def test_no_villages_gives_zeros() -> None:
    assert not roll_up(CODES, [], np.zeros((0, 2, 3), dtype=np.int64)).any()


def test_a_village_outside_the_regions_is_named() -> None:
    with pytest.raises(DataDirError, match="530102001001"):
        roll_up(CODES, ["530102001001"], np.ones((1, 2, 3), dtype=np.int64))
