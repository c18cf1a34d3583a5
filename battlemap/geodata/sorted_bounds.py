"""Binary search in a sorted (often memory-mapped) array without widening it.

``np.searchsorted(int32_array, python_int)`` casts the whole array to int64 first: for the
23 M cadre visits that is a 176 MB copy per call, which under load made single requests
spike a worker's memory by hundreds of MB. Casting the keys to the array's dtype instead
keeps the search a lookup.
"""

from __future__ import annotations

from typing import Literal

import numpy as np


def bounds(
    sorted_values: np.ndarray, keys: object, side: Literal["left", "right"] = "left"
) -> np.ndarray:
    """``np.searchsorted(sorted_values, keys, side)``, the integer keys cast to the array's
    integer dtype (a key outside its range sorts before or after every value)."""
    keys = np.asarray(keys)
    dtype = sorted_values.dtype
    if not (np.issubdtype(dtype, np.integer) and np.issubdtype(keys.dtype, np.integer)):
        return np.searchsorted(sorted_values, keys, side=side)
    info = np.iinfo(dtype)
    found = np.searchsorted(sorted_values, np.clip(keys, info.min, info.max).astype(dtype), side)
    return np.where(keys > info.max, len(sorted_values), np.where(keys < info.min, 0, found))
