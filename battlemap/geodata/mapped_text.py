"""Text columns that stay memory-mapped (issue 19): rows taken as Python strings on demand.

A column of millions of IDs held as a numpy ``object`` array costs every worker process
~70 bytes a row of its own memory. Kept instead as an Arrow string array in an array bundle
(:func:`~battlemap.geodata.embedded_cache.cached_bundle` maps it from an uncompressed Arrow
IPC file), its pages are shared by every worker; :meth:`MappedText.take` makes Python
strings only for the rows a request asks for, each distinct row once.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

__all__ = ["MappedText", "text_array"]

_SPARSE = 64  # fewer than len / _SPARSE rows asked: sort them instead of a full-length mask


def text_array(values: object) -> pa.Array:
    """``values`` (numpy/pandas strings, an Arrow array or chunked array) as one
    contiguous Arrow string array, ready to go into a bundle (nulls stay null)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        values = pa.array(values, pa.string(), from_pandas=True)
    return values.cast(pa.string()) if values.type != pa.string() else values


class MappedText:
    """A (memory-mapped) Arrow string array read by row numbers into numpy ``object``
    arrays of ``str`` (None for nulls), as a numpy object array indexed the same way."""

    def __init__(self, array: pa.Array | pa.ChunkedArray) -> None:
        self.array = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array

    def __len__(self) -> int:
        return len(self.array)

    def take(self, rows: np.ndarray) -> np.ndarray:
        """The strings at ``rows`` (any order, repeats allowed)."""
        return self.take_many(rows)[0]

    def take_many(self, *rows: np.ndarray) -> list[np.ndarray]:
        """:meth:`take` of several row arrays, converting each distinct row once."""
        sizes = [len(r) for r in rows]
        every = np.concatenate([np.asarray(r, dtype=np.int64) for r in rows]) if rows else []
        if not len(every):
            return [np.empty(0, dtype=object) for _ in rows]
        n = len(self.array)
        if len(every) * _SPARSE < n:
            unique, inverse = np.unique(every, return_inverse=True)
        else:  # a large share of the rows: a mask over all of them avoids the sort
            wanted = np.zeros(n, dtype=bool)
            wanted[every] = True
            unique = np.flatnonzero(wanted)
            lookup = np.zeros(n, dtype=np.int64)
            lookup[unique] = np.arange(len(unique))
            inverse = lookup[every]
        # take, not slice: a slice's to_numpy reads the whole array's buffer (pyarrow 26)
        texts = self.array.take(pa.array(unique)).to_numpy(zero_copy_only=False)
        values = np.asarray(texts, dtype=object)[inverse]
        return np.split(values, np.cumsum(sizes)[:-1])
