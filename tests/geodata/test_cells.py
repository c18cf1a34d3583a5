"""h3_cells gives exactly h3's own string cells (the generator and the importer share it)."""

from __future__ import annotations

import h3
import numpy as np

from battlemap.geodata.cells import h3_cells


def test_cells_match_h3s_string_api() -> None:
    rng = np.random.default_rng(5)
    lat, lon = rng.uniform(24.6, 29.2, 500), rng.uniform(103.6, 109.6, 500)
    r7, r9 = h3_cells(lat, lon)
    want9 = [h3.latlng_to_cell(a, b, 9) for a, b in zip(lat, lon, strict=True)]
    assert list(r9) == want9
    assert list(r7) == [h3.cell_to_parent(c, 7) for c in want9]
