"""Fast key matching with Arrow hashing: household IDs as shared integer codes.

pandas' Arrow-backed string indexes fall back to Python loops for ``isin``/``map``; Arrow's
own hash kernels do the same work in C++, so every ID lookup of the importer goes through here.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["codes", "hh_ids", "joint_codes", "positions", "year_keys"]

_YEAR_SLOTS = 4096  # key = household code × 4096 + year


def _strings(array: pa.Array | pa.ChunkedArray | np.ndarray) -> pa.ChunkedArray:
    if isinstance(array, np.ndarray):
        array = pa.array(array, pa.large_string())
    if isinstance(array, pa.Array):
        array = pa.chunked_array([array])
    if pa.types.is_dictionary(array.type):
        array = array.cast(array.type.value_type)
    return array.cast(pa.large_string())


def hh_ids(table: pa.Table) -> pa.ChunkedArray:
    """A table's ``hh_id`` column as large strings (files hold plain or dictionary strings)."""
    return _strings(table["hh_id"])


def joint_codes(*arrays: pa.Array | pa.ChunkedArray | np.ndarray) -> list[np.ndarray]:
    """One integer code per distinct ID across all ``arrays`` (equal IDs, equal codes)."""
    parts = [_strings(a) for a in arrays]
    combined = pa.chunked_array([c for p in parts for c in p.chunks], pa.large_string())
    encoded = combined.dictionary_encode().combine_chunks() if combined.num_chunks else None
    if encoded is None:
        return [np.zeros(0, dtype=np.int64) for _ in parts]
    indices = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    out, start = [], 0
    for part in parts:
        out.append(indices[start : start + len(part)])
        start += len(part)
    return out


def codes(array: pa.Array | pa.ChunkedArray | np.ndarray) -> np.ndarray:
    """Integer code per ID within one array."""
    return joint_codes(array)[0]


def year_keys(hh_codes: np.ndarray, years: np.ndarray) -> np.ndarray:
    """One int64 key per (household code, year)."""
    return hh_codes.astype(np.int64) * _YEAR_SLOTS + np.asarray(years, dtype=np.int64)


def positions(needles: np.ndarray, haystack: np.ndarray) -> np.ndarray:
    """Index of each needle in ``haystack`` (int64 keys, haystack unique); -1 when absent."""
    if not len(needles):
        return np.zeros(0, dtype=np.int64)
    found = pc.index_in(pa.array(needles, pa.int64()), value_set=pa.array(haystack, pa.int64()))
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)
