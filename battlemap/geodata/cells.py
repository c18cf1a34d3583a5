"""H3 cells of household points: resolution 9 (hexbins) and its resolution-7 parent."""

from __future__ import annotations

import h3.api.basic_int as h3i
import numpy as np

__all__ = ["h3_cells"]


def h3_cells(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(r7, r9) cells of each point as h3's usual hex strings (object arrays).

    h3 4.x has no array API; its integer API is the fastest per call.
    """
    r9 = [h3i.latlng_to_cell(a, b, 9) for a, b in zip(lat.tolist(), lon.tolist(), strict=True)]
    r7 = [format(h3i.cell_to_parent(c, 7), "x") for c in r9]
    return np.asarray(r7, dtype=object), np.asarray([format(c, "x") for c in r9], dtype=object)
